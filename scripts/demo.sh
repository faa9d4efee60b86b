#!/usr/bin/env bash
# The demo, on generated example data: train three models (no penalty, input-gradient penalty,
# counterfactual penalty), export, serve, audit reliance first, compare.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh model
export TF_CPP_MIN_LOG_LEVEL=3
source .venv/bin/activate
OUT=${DEMO_OUT:-demo-output}
rm -rf "$OUT"
audit-demo --out "$OUT"

echo
echo "== serving the counterfactual model with audit-serve (TF Serving's gRPC API) =="
# The log exists before the server starts (the shell would create it only once the child runs), and the wait is
# on conditions: the server's PORT line, or its exit. The bound is generous for a loaded machine.
LOG="$OUT/audit-serve.log"
: > "$LOG"
audit-serve --port 0 --model_name decoy_counterfactual --model_base_path "$OUT/models/decoy_counterfactual" \
  > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
PORT=""
for _ in $(seq 1 1200); do
  PORT=$(sed -n 's/^PORT //p' "$LOG" 2>/dev/null || true)
  [ -n "$PORT" ] && break
  kill -0 $SERVER 2>/dev/null || { echo "audit-serve stopped before serving:" >&2; cat "$LOG" >&2; exit 1; }
  sleep 0.5
done
[ -n "$PORT" ] || { echo "audit-serve did not report its port within 600 s:" >&2; cat "$LOG" >&2; exit 1; }
audit-cli status --server "127.0.0.1:$PORT" --model-name decoy_counterfactual
audit-cli explain "the plot is truly wonderful text overall" --server "127.0.0.1:$PORT" \
  --model-name decoy_counterfactual --forbidden "$OUT/data/forbidden.txt"

echo
echo "== auditing the decoy test set (reliance first): the others embedded, counterfactual via gRPC; each signed =="
audit-cli keygen "$OUT/demo-signing-key.pem"
for MODEL in vanilla input_gradient; do
  echo "-- decoy_$MODEL (a gate failure is the expected finding here: exit 1)"
  audit-cli score "$OUT/data/test_decoy.csv" --model "$OUT/models/decoy_$MODEL" --forbidden "$OUT/data/forbidden.txt" \
    --id-column id --label-column label --max-flip-fraction 0.05 --out "$OUT/audit-$MODEL" --quiet \
    --sign-key "$OUT/demo-signing-key.pem" || [ $? -eq 1 ]
done
audit-cli score "$OUT/data/test_decoy.csv" --server "127.0.0.1:$PORT" --model-name decoy_counterfactual \
  --forbidden "$OUT/data/forbidden.txt" --id-column id --label-column label --max-flip-fraction 0.05 \
  --out "$OUT/audit-counterfactual" --quiet --sign-key "$OUT/demo-signing-key.pem"
audit-cli compare "$OUT/audit-input_gradient" "$OUT/audit-counterfactual" --out "$OUT/compare"

echo
echo "== what the lexicon missed: decoy_vanilla audited with only 'text' listed; --discover ranks every word =="
grep -v '^video$' "$OUT/data/forbidden.txt" > "$OUT/data/forbidden-text-only.txt"
audit-cli score "$OUT/data/test_decoy.csv" --model "$OUT/models/decoy_vanilla" --id-column id --discover \
  --forbidden "$OUT/data/forbidden-text-only.txt" --out "$OUT/audit-discover" --quiet

echo
echo "== evidence: a model card, the three penalties as a history, and every bundle verified =="
audit-cli model-card "$OUT/audit-counterfactual" --out "$OUT/model-card"
audit-cli history "$OUT/audit-vanilla" "$OUT/audit-input_gradient" "$OUT/audit-counterfactual" --out "$OUT/history"
for AUDIT in vanilla input_gradient counterfactual; do
  audit-cli verify "$OUT/audit-$AUDIT" --public-key "$OUT/demo-signing-key.pem.pub" --quiet
done
echo
echo "reports: $OUT/audit-*/report.html (audit-discover: 'Words the lexicon may have missed'), $OUT/compare/compare.md, $OUT/model-card/model_card.html, $OUT/history/history.html"
