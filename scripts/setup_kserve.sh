#!/usr/bin/env bash
# Create .venv-kserve: MLServer, an Open Inference Protocol (KServe v2) server from a well-kept package, for the
# tests that audit a model through that protocol (and for scripts/generate_kserve_api.py). Its own venv: MLServer
# brings a web stack the project does not need. pip runs only when this script changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
MLSERVER="mlserver==1.7.1"
STAMP=.venv-kserve/.installed
WANTED="$(sha256sum scripts/setup_kserve.sh | cut -d' ' -f1)"
[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANTED" ] && exit 0
[ -x .venv-kserve/bin/python ] || "$PYTHON" -m venv .venv-kserve
.venv-kserve/bin/python -m pip install --quiet --upgrade pip
.venv-kserve/bin/python -m pip install --quiet "$MLSERVER"
echo "$WANTED" > "$STAMP"
