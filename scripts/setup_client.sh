#!/usr/bin/env bash
# Create .venv-client: the light audit client (base install, no TensorFlow) plus pytest; pip runs only when
# pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv-client/bin/python ]; then
  "$PYTHON" -m venv .venv-client
fi
STAMP=.venv-client/.saliency-audit-installed
WANTED="$(sha256sum pyproject.toml | cut -d' ' -f1)"
[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANTED" ] && exit 0
.venv-client/bin/python -m pip install --quiet --upgrade pip
.venv-client/bin/python -m pip install --quiet -e . "pytest>=8,<10"
echo "$WANTED" > "$STAMP"
