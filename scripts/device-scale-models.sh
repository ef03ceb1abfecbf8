#!/usr/bin/env bash
# The GPU-scale models of the evaluation, exported on the GPU machine (random weights, seeded) and
# checked there: each runs through `handover infer --check` (onnxruntime-node as the reference) on
# the CUDA backend. Needs scripts/device-setup.sh's environment (sourced by the caller or here).
# Models: resnet50 and efficientnet_b0 beside the shared vision pair, and a GPT-2-small-shaped
# decoder with a KV cache (12 layers, width 768, 12 heads, vocabulary 50257, 1024 positions).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh   # cheap when scripts/device-round.sh set the machine up
M=${SCALE_MODELS_DIR:-/tmp/handover-scale-models}
mkdir -p "$M"; cp scripts/models/*.py "$M/"
step "export vision (resnet50, efficientnet_b0)"
(cd "$M" && OUT="$M" VISION_MODELS=resnet50,efficientnet_b0 timeout 300 python3 export_vision.py) 2>&1 | tee "$OUT/export-scale.log" | grep -vE "^ort " | tail -8
step "export gpt2_small_kv"
(cd "$M" && OUT="$M" GPT_NAME=gpt2_small_kv GPT_VOCAB=50257 GPT_WIDTH=768 GPT_HEADS=12 GPT_LAYERS=12 GPT_MAXPOS=1024 \
  timeout 300 python3 export_tiny_gpt_kv.py) 2>&1 | tee -a "$OUT/export-scale.log" | tail -4
for f in resnet50 efficientnet_b0 gpt2_small_kv; do
  [ -s "$M/$f.onnx" ] || { echo "$f: not exported"; continue; }
  step "infer --check $f (CUDA)"
  timeout 240 node bin/handover.js infer --model "$M/$f.onnx" --backend cuda --check --json --arena-mb 4096 > "$OUT/infer-$f.json" 2> "$OUT/infer-$f.err" \
    && cat "$OUT/infer-$f.json" || { echo "$f failed:"; tail -5 "$OUT/infer-$f.err"; }
done
