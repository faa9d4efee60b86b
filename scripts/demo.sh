#!/usr/bin/env bash
# The demo, on generated example data: train three models (no penalty, input-gradient penalty,
# counterfactual penalty), export, serve, audit reliance first, compare.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
source .venv/bin/activate
OUT=${DEMO_OUT:-demo-output}
rm -rf "$OUT"
audit-demo --out "$OUT"

echo
echo "== serving the counterfactual model with audit-serve (TF Serving's gRPC API) =="
audit-serve --port 0 --model_name decoy_counterfactual --model_base_path "$OUT/models/decoy_counterfactual" \
  > "$OUT/audit-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  PORT=$(sed -n 's/^PORT //p' "$OUT/audit-serve.log")
  [ -n "$PORT" ] && break
  kill -0 $SERVER 2>/dev/null || { cat "$OUT/audit-serve.log"; exit 1; }
  sleep 0.5
done
audit-cli status --server "127.0.0.1:$PORT" --model-name decoy_counterfactual
audit-cli explain "the plot is truly wonderful text overall" --server "127.0.0.1:$PORT" \
  --model-name decoy_counterfactual --forbidden "$OUT/data/forbidden.txt"

echo
echo "== auditing the decoy test set (reliance first): counterfactual via gRPC, the others embedded =="
audit-cli score "$OUT/data/test_decoy.csv" --server "127.0.0.1:$PORT" --model-name decoy_counterfactual \
  --forbidden "$OUT/data/forbidden.txt" --id-column id --label-column label --max-flip-fraction 0.05 \
  --out "$OUT/audit-counterfactual" --quiet
for MODEL in vanilla input_gradient; do
  echo "-- decoy_$MODEL (a gate failure is the expected finding here: exit 1)"
  audit-cli score "$OUT/data/test_decoy.csv" --model "$OUT/models/decoy_$MODEL" --forbidden "$OUT/data/forbidden.txt" \
    --id-column id --label-column label --max-flip-fraction 0.05 --out "$OUT/audit-$MODEL" --quiet || [ $? -eq 1 ]
done
audit-cli compare "$OUT/audit-input_gradient" "$OUT/audit-counterfactual" --out "$OUT/compare"
echo
echo "reports: $OUT/audit-*/report.html, $OUT/compare/compare.md"
