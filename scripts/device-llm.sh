#!/usr/bin/env bash
# The LLM part of issue 21 on the GPU machine, in one call: export the
# GPT-2-small KV decoder (random weights) with torch, padded-batching form
# (GPT_PADDED=1: attention bias and last-row logits, src/llm/padded.ts) and
# the plain form; PROFILE: time prefill and decode steps of both in one
# process (src/eval/llm/step-bench.ts: the plain export is the reference);
# CHECK: the padded-batching test on CUDA; then the Azure LLM comparison
# (handover, SP-75, Infer-Only) with `handover run --workload llm` on the
# padded decoder (the plain one if its export failed). Everything it writes
# lies flat in $OUT (at most 8 files come back).
#
# Here: NO_DAWN=1 bash scripts/device-run.sh pack, then copy the snapshot with
# .device and the trace in .eval-data/ (docs/results-scale.md, LLM round 4).
# There: PROFILE=1 CHECK=1 bash scripts/device-llm.sh
# PROFILE_PLAIN= (empty) profiles the padded decoder alone.
# Knobs: BUDGET_S (whole script, default 330), LLM_S (seconds of trace per
# system; default: what the budget leaves, at most 60), LLM_SCALE (time
# scale, default 4), LLM_CONTEXT (256), LLM_BATCH (16), LLM_ARENA_PAGES (800),
# LLM_SYSTEMS, GPT (the training job, LxWxHxC).
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
BUDGET_S=${BUDGET_S:-330}
left() { echo $((BUDGET_S - ($(date +%s) - T0))); }
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
source scripts/device-setup.sh
M=${LLM_MODELS_DIR:-/tmp/handover-llm-models}
TRACE_FILE=${TRACE_FILE:-.eval-data/azure-llm-inference-2023-conv.csv.gz}
LLM_SCALE=${LLM_SCALE:-4}
LLM_CONTEXT=${LLM_CONTEXT:-256}
LLM_BATCH=${LLM_BATCH:-16}
LLM_SYSTEMS=${LLM_SYSTEMS:-handover,sp75,infer-only}
GPT=${GPT:-6x512x8x128}
PROFILE_PLAIN=${PROFILE_PLAIN-1}
date -u +%Y-%m-%dT%H:%M:%SZ >> "$OUT/gpu.txt"

step "export GPT-2-small KV ($(left) s left)"
mkdir -p "$M"; cp scripts/models/export_tiny_gpt_kv.py "$M/"; touch "$OUT/export.log"
GPT2=(GPT_VOCAB=50257 GPT_WIDTH=768 GPT_HEADS=12 GPT_LAYERS=12 GPT_MAXPOS=1024)
# A warm machine keeps /tmp: an earlier call's exports are reused.
[ -s "$M/gpt2_small_kv_padded.onnx" ] || (cd "$M" && env OUT="$M" GPT_NAME=gpt2_small_kv_padded GPT_PADDED=1 "${GPT2[@]}" timeout 150 python3 export_tiny_gpt_kv.py) > "$OUT/export.log" 2>&1 \
  || echo "padded export failed (exit $?)" | tee -a "$OUT/export.log"
if [ ! -s "$M/gpt2_small_kv.onnx" ] && { [ -n "$PROFILE_PLAIN" ] && [ -n "${PROFILE:-}" ] || [ ! -s "$M/gpt2_small_kv_padded.onnx" ]; }; then
  (cd "$M" && env OUT="$M" GPT_NAME=gpt2_small_kv "${GPT2[@]}" timeout 150 python3 export_tiny_gpt_kv.py) >> "$OUT/export.log" 2>&1
fi
grep -E "diff|ops|Error|failed" "$OUT/export.log" | cut -c1-200 | tail -8
MODEL=$M/gpt2_small_kv_padded.onnx
[ -s "$MODEL" ] || MODEL=$M/gpt2_small_kv.onnx
[ -s "$MODEL" ] || { echo "no decoder exported"; exit 1; }

if [ -n "${CHECK:-}" ]; then
  step "padded batching test on CUDA ($(left) s left)"
  HANDOVER_TEST_BACKEND=cuda timeout 60 node node_modules/vitest/vitest.mjs run test/llm-padded.test.ts > "$OUT/check.log" 2>&1; cat "$OUT/check.log" >> "$OUT/export.log"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/check.log" | grep -E "✓|×|relErr|Tests |Error" | head -10; rm -f "$OUT/check.log"
fi

if [ -n "${PROFILE:-}" ]; then
  step "profile: prefill and decode steps, padded vs plain ($(left) s left)"
  files=(); for f in ${PROFILE_PLAIN:+gpt2_small_kv} gpt2_small_kv_padded; do [ -s "$M/$f.onnx" ] && files+=("$M/$f.onnx"); done
  timeout 120 node --input-type=module -e "
import { openDevice } from './dist/src/cli/open-device.js';
import { benchSteps } from './dist/src/eval/llm/step-bench.js';
const dev = await openDevice('cuda', () => {});
const spec = { arenaBytes: 4096 * 2 ** 20, pageBytes: 2 ** 21, vocab: 50257, maxPositions: 1024, maxBatch: $LLM_BATCH, maxContext: $LLM_CONTEXT, steps: 20 };
for (const f of process.argv.slice(1)) console.log(JSON.stringify(await benchSteps(dev, f, spec)));
process.exit(0);
" "${files[@]}" > "$OUT/profile.jsonl" 2>> "$OUT/export.log"
  echo "(exit $?)"; cut -c1-600 "$OUT/profile.jsonl"; tail -3 "$OUT/export.log"
fi

budget=$(left)
LLM_S=${LLM_S:-$(( (budget - 30) / 3 - 20 ))}
[ "$LLM_S" -gt 60 ] && LLM_S=60
[ "$LLM_S" -ge 10 ] || { echo "llm: cut ($budget s left)"; exit 0; }
[ -s "$TRACE_FILE" ] || { echo "llm: no trace at $TRACE_FILE"; exit 1; }
step "llm azure: $LLM_SYSTEMS, $LLM_S s each at time scale $LLM_SCALE, $(basename "$MODEL") ($budget s left)"
timeout $((budget - 10)) node bin/handover.js run --workload llm --trace-file "$TRACE_FILE" --model "$MODEL" \
  --systems "$LLM_SYSTEMS" --duration "$LLM_S" --time-scale "$LLM_SCALE" --max-context "$LLM_CONTEXT" --max-batch "$LLM_BATCH" --block-tokens 16 \
  --arena-pages "${LLM_ARENA_PAGES:-800}" --backend cuda --page-kib 2048 --train-gpt "$GPT" --micro-batch 32 --effective-batch 64 --json \
  --out "$OUT/llm" > "$OUT/llm.json" 2> "$OUT/llm.log"
echo "(exit $?)"
sed 's/\x1b\[[0-9;]*m//g' "$OUT/llm.log" | grep -vE "^\s*$" | cut -c1-300 | tail -25
(cd "$OUT" && tar czf llm-report.tgz llm && rm -rf llm)
exit $status
