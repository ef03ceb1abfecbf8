#!/usr/bin/env bash
# The LLM part of issue 21 on the GPU machine, in one call: export the
# GPT-2-small KV decoder (random weights) with torch, padded-batching form
# (GPT_PADDED=1: attention bias and last-row logits, src/llm/padded.ts; the
# plain form too with PROFILE_PLAIN=1); PROFILE: time prefill and decode
# steps in one process with the past uploaded from the host (LLM round 4's
# path, the reference) and kept on the GPU (src/eval/llm/step-bench.ts);
# CHECK: the device-past and padded-batching tests on CUDA; then the Azure
# LLM comparison (Infer-Only, handover, SP-75 last) with `handover run
# --workload llm` on the padded decoder (the plain one if its export failed);
# ROUND2: a second round of ROUND2_SYSTEMS, ROUND2_S seconds each (default
# LLM_S) or what the budget leaves (at least 20 s).
# Everything it writes lies flat in $OUT (at most 8 files come back).
#
# Here: NO_DAWN=1 bash scripts/device-run.sh pack, then copy the snapshot with
# .device and the trace in .eval-data/ (docs/results-scale.md, LLM round 4).
# There: PROFILE=1 CHECK=1 bash scripts/device-llm.sh
# PROFILE_PLAIN=1 adds the plain (unpadded) decoder to the profile;
# HANDOVER_PREBUILT_ADDON=1 uses a carried native-cuda/build/handover_cuda.node.
# Knobs: BUDGET_S (whole script, default 330), LLM_S (seconds of trace per
# system; default: what the budget leaves, at most 60), LLM_SCALE (time
# scale, default 1: LLM round 6's load, which Infer-Only serves within its
# TTFT SLO), LLM_CONTEXT (512), LLM_BATCH (16), LLM_ARENA_PAGES (800: Infer-Only's
# arena; with LLM_ARENA=fixed every system's), LLM_ARENA (peak, the default: the
# systems that train run in the smallest arena holding the decoder, its
# workspace, Infer-Only's KV peak and training at its least; LLM round 7),
# LLM_SYSTEMS (infer-only,handover,sp75), ROUND2_SYSTEMS (handover,infer-only),
# LLM_W_KIB (the batcher's watermark W; default two pages), PROFILE_STEPS (10), CHECK_TESTS (the CUDA tests' files), GPT (the training job, LxWxHxC).
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
LLM_SCALE=${LLM_SCALE:-1}
LLM_CONTEXT=${LLM_CONTEXT:-512}
LLM_BATCH=${LLM_BATCH:-16}
LLM_ARENA_PAGES=${LLM_ARENA_PAGES:-800}
LLM_ARENA=${LLM_ARENA:-peak}
LLM_SYSTEMS=${LLM_SYSTEMS:-infer-only,handover,sp75}
ROUND2_SYSTEMS=${ROUND2_SYSTEMS-handover,infer-only}
GPT=${GPT:-6x512x8x128}
PROFILE_PLAIN=${PROFILE_PLAIN-}
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
  step "device-past and padded batching tests on CUDA ($(left) s left)"
  HANDOVER_TEST_BACKEND=cuda timeout 60 node node_modules/vitest/vitest.mjs run ${CHECK_TESTS:-test/llm-device-past.test.ts test/llm-padded.test.ts} > "$OUT/check.log" 2>&1; cat "$OUT/check.log" >> "$OUT/export.log"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/check.log" | grep -E "✓|×|relErr|device past|Tests |Error" | cut -c1-300 | head -14; rm -f "$OUT/check.log"
fi

if [ -n "${PROFILE:-}" ]; then
  step "profile: prefill and decode steps, past uploaded (reference) vs kept on the GPU ($(left) s left)"
  runs=(); [ -n "$PROFILE_PLAIN" ] && [ -s "$M/gpt2_small_kv.onnx" ] && runs+=("$M/gpt2_small_kv.onnx:host")
  [ -s "$M/gpt2_small_kv_padded.onnx" ] && runs+=("$M/gpt2_small_kv_padded.onnx:host" "$M/gpt2_small_kv_padded.onnx:device")
  timeout 120 node --input-type=module -e "
import { openDevice } from './dist/src/cli/open-device.js';
import { benchSteps } from './dist/src/eval/llm/step-bench.js';
const dev = await openDevice('cuda', () => {});
const spec = { arenaBytes: 4096 * 2 ** 20, pageBytes: 2 ** 21, vocab: 50257, maxPositions: 1024, maxBatch: $LLM_BATCH, maxContext: $LLM_CONTEXT, steps: ${PROFILE_STEPS:-10} };
for (const a of process.argv.slice(1)) {
  const [file, past] = a.split(':');
  console.log(JSON.stringify(await benchSteps(dev, file, { ...spec, past })));
}
process.exit(0);
" "${runs[@]}" > "$OUT/profile.jsonl" 2>> "$OUT/export.log"
  echo "(exit $?)"; cut -c1-700 "$OUT/profile.jsonl"; tail -3 "$OUT/export.log"
fi

[ -s "$TRACE_FILE" ] || { echo "llm: no trace at $TRACE_FILE"; exit 1; }
compare() { # systems, seconds, out name
  step "llm azure: $1, $2 s each at time scale $LLM_SCALE, context $LLM_CONTEXT, batch $LLM_BATCH, arena $LLM_ARENA_PAGES pages ($LLM_ARENA), $(basename "$MODEL") ($(left) s left)"
  timeout $(( $(left) - 5 )) node bin/handover.js run --workload llm --trace-file "$TRACE_FILE" --model "$MODEL" \
    --systems "$1" --duration "$2" --time-scale "$LLM_SCALE" --max-context "$LLM_CONTEXT" --max-batch "$LLM_BATCH" --block-tokens 16 \
    --arena-pages "$LLM_ARENA_PAGES" --llm-arena "$LLM_ARENA" ${LLM_W_KIB:+--watermark-kib $LLM_W_KIB} --backend cuda --page-kib 2048 --train-gpt "$GPT" --micro-batch 32 --effective-batch 64 --json \
    --out "$OUT/$3" > "$OUT/$3.json" 2> "$OUT/$3.log"
  echo "(exit $?)"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/$3.log" | grep -vE "^\s*$" | cut -c1-400 | tail -14
}
nsys=$(echo "$LLM_SYSTEMS" | tr ',' '\n' | grep -c .)
# Each system takes its trace seconds plus ~10 s (testbed, training start, drain; LLM round 5: 19 s for two systems
# and the standalone measurement on a warm machine), the standalone measurement ~10 s; 20 s and 12 s here leave a margin.
LLM_S=${LLM_S:-$(( ($(left) - 30) / nsys - 20 ))}
[ "$LLM_S" -gt 60 ] && LLM_S=60
[ "$LLM_S" -ge 10 ] || { echo "llm: cut ($(left) s left)"; exit 0; }
compare "$LLM_SYSTEMS" "$LLM_S" llm
n2=$(echo "$ROUND2_SYSTEMS" | tr ',' '\n' | grep -c .)
# Round 2: ROUND2_S seconds a system, or what is left (each system ~12 s beyond its trace, the standalone ~10 s), at least 20 s.
if [ "$n2" -gt 0 ]; then
  S2=${ROUND2_S:-$LLM_S}; fit=$(( ($(left) - 15) / n2 - 12 )); [ "$fit" -lt "$S2" ] && S2=$fit
  if [ "$S2" -ge 20 ]; then compare "$ROUND2_SYSTEMS" "$S2" llm-round2
  else echo "round 2: cut ($(left) s left: $n2 systems would get $S2 s)"; fi
fi
# At most 8 files come back: the report pages and round 2's logs go in one archive.
(cd "$OUT" && tar czf llm-report.tgz llm* && rm -rf llm llm-round2 llm-round2.json llm-round2.log)
exit $status
