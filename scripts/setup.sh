#!/usr/bin/env bash
# Create .venv and install the project with the extras asked for (default: what the tests need), only when
# pyproject.toml or the extras changed since the last install (an editable install picks up source changes itself).
#   bash scripts/setup.sh            model, beam and test extras (scripts/test.sh)
#   bash scripts/setup.sh model      the model extra only (scripts/demo.sh: train, serve, audit in process)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=${1:-model,beam,test}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
STAMP=.venv/.saliency-audit-installed
WANTED="$(sha256sum pyproject.toml | cut -d' ' -f1) $EXTRAS"
# An install of more extras serves a command that needs fewer: skip when every extra asked for is installed.
if [ -f "$STAMP" ] && [ "$(cut -d' ' -f1 "$STAMP")" = "${WANTED%% *}" ]; then
  INSTALLED=",$(cut -d' ' -f2 "$STAMP"),"
  MISSING=""
  for extra in ${EXTRAS//,/ }; do
    case "$INSTALLED" in *",$extra,"*) ;; *) MISSING=1 ;; esac
  done
  [ -z "$MISSING" ] && exit 0
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
echo "$WANTED" > "$STAMP"
