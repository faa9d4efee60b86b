#!/usr/bin/env bash
# Set up and run the tests. With no arguments (as CI runs it): lint and type checks (ruff, mypy), the full install's
# suite, then the unit tier (tests/unit) and the light client's tests in a venv without TensorFlow, against
# audit-serve and models from the full install (and MLServer from .venv-kserve). With arguments: only the full
# install's pytest, given them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_kserve.sh  # MLServer, the Open Inference Protocol server the KServe v2 tests start
export TF_CPP_MIN_LOG_LEVEL=3
LINTED="saliency_core cli_common audit_engine audit_cli"
if [ "$#" -eq 0 ]; then
  .venv/bin/ruff check $LINTED
  .venv/bin/ruff format --check $LINTED
  .venv/bin/mypy
fi
.venv/bin/python -m pytest -q "$@"
if [ "$#" -eq 0 ]; then
  bash scripts/setup_client.sh
  .venv-client/bin/python -m pytest -q -p no:cacheprovider tests/unit
  SALIENCY_AUDIT_FULL_PYTHON="$PWD/.venv/bin/python" .venv-client/bin/python -m pytest -q -p no:cacheprovider \
    tests_light
fi
