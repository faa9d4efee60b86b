#!/usr/bin/env bash
# Set up and run the test suite: the full install's tests (arguments go to this pytest), then, for the whole suite
# (no arguments, as CI runs it), the light client's tests in a venv without TensorFlow, against audit-serve and
# models from the full install.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
.venv/bin/python -m pytest -q "$@"
if [ "$#" -eq 0 ]; then
  bash scripts/setup_client.sh
  SALIENCY_AUDIT_FULL_PYTHON="$PWD/.venv/bin/python" .venv-client/bin/python -m pytest -q -p no:cacheprovider \
    tests_light
fi
