#!/usr/bin/env bash
# The demo, on generated example data: train (with and without the penalty), export, serve, audit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=3
source .venv/bin/activate
OUT=${DEMO_OUT:-demo-output}
rm -rf "$OUT"
audit-demo --out "$OUT"

echo
echo "== serving the penalised model with audit-serve (TF Serving's gRPC API) =="
audit-serve --port 0 --model_name decoy_penalised --model_base_path "$OUT/models/decoy_penalised" \
  > "$OUT/audit-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  PORT=$(sed -n 's/^PORT //p' "$OUT/audit-serve.log")
  [ -n "$PORT" ] && break
  kill -0 $SERVER 2>/dev/null || { cat "$OUT/audit-serve.log"; exit 1; }
  sleep 0.5
done
audit-cli status --server "127.0.0.1:$PORT" --model-name decoy_penalised
audit-cli explain "the plot is truly wonderful text overall" --server "127.0.0.1:$PORT" \
  --model-name decoy_penalised --forbidden "$OUT/data/forbidden.txt"

echo
echo "== auditing the decoy test set: penalised via gRPC, vanilla embedded =="
audit-cli score "$OUT/data/test_decoy.csv" --server "127.0.0.1:$PORT" --model-name decoy_penalised \
  --forbidden "$OUT/data/forbidden.txt" --id-column id --label-column label --occlusion --out "$OUT/audit-penalised" --quiet
audit-cli score "$OUT/data/test_decoy.csv" --model "$OUT/models/decoy_vanilla" \
  --forbidden "$OUT/data/forbidden.txt" --id-column id --label-column label --occlusion --out "$OUT/audit-vanilla" --quiet
audit-cli compare "$OUT/audit-vanilla" "$OUT/audit-penalised" --out "$OUT/compare"
echo
echo "reports: $OUT/audit-vanilla/report.html, $OUT/audit-penalised/report.html, $OUT/compare/compare.md"
