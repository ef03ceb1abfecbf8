#!/usr/bin/env bash
# Issue 17's measurements on the GPU machine in one call of the `run` tool (about 4-5 minutes):
#   1. `bench train-backends`: the MLP 64-4096-4096-10 at micro-batch 1024 on CUDA (the reference)
#      and WebGPU (Dawn on the NVIDIA Vulkan driver, tiled kernels), with the GFLOP/s of the
#      trainer's three GEMM shapes for cuBLAS, the WebGPU device's own choice and each named
#      matmul variant (matmul_tiled, matmul_tiled64);
#   2. ROUNDS (3) rounds of `bench infer-webgpu`: squeezenet1_1, mobilenet_v2, tiny_gpt and
#      resnet50 at batch 1 and 8, handover beside onnxruntime-node's WebGPU and CPU EPs in the
#      same process (per model and batch, one after the other), RUNS (50) timed runs each;
#   3. PROFILE (resnet50:1): `handover infer --profile` of these model:batch pairs;
#   4. GPT=1 adds `handover train --model gpt` on CUDA and WebGPU (GPT_* size it).
# INFER_ONLY=1 skips the training phases (1 and 4): a short call for the inference kernels.
# SPLIT_AB=1 follows each round of 2. with one of handover alone (--ort=false) with the split-k
# convolutions off (HANDOVER_WEBGPU_CONV_SPLIT=0): before/after in the same call.
# Here, once per change:
#   bash scripts/device-w17.sh pack                          # .device/bundle.tar.xz (dist/, Dawn, onnxruntime-node)
#   cp <a native-cuda/build/handover_cuda.node built for sm_90> native-cuda/build/   # no build there
# There: FIXTURES=../test/fixtures bash scripts/device-webgpu-rounds.sh   (logs under $OUT, packed in logs.tgz)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT/logs"
ROOT_OUT=$OUT
OUT=$OUT/logs
HANDOVER_PREBUILT_ADDON=1 source scripts/device-setup.sh > "$OUT/setup.log" 2>&1
tail -3 "$OUT/setup.log"
cat "$OUT/gpu.txt" 2>/dev/null
date -u +%Y-%m-%dT%H:%M:%SZ | tee "$OUT/date.txt"
H="node bin/handover.js"
M=/tmp/handover-models
FIX=${FIXTURES:-test/fixtures}
mkdir -p "$M"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv | tee "$OUT/gpu-state.txt"
# the logs so far, packed after each phase: a call cut short by its time limit still brings them back
pack() { tar czf "$ROOT_OUT/logs.tgz" -C "$OUT" .; }

step "export mobilenet_v2 and resnet50 (torchvision, seeded)"
cp scripts/models/export_vision.py "$M/"
(cd "$M" && OUT="$M" VISION_MODELS=resnet50 timeout "${EXPORT_S:-100}" python3 export_vision.py > "$OUT/export.log" 2>&1) || { status=1; tail -3 "$OUT/export.log"; }
cp "$FIX/squeezenet1_1.onnx" "$FIX/tiny_gpt.onnx" "$M/"
ls -la "$M"/*.onnx | awk '{print $5, $9}'
pack

if [ -z "${INFER_ONLY:-}" ]; then
step "bench train-backends (MLP 64-${TRAIN_LAYERS:-4096-4096}-10, micro-batch ${TRAIN_BATCH:-1024})"
timeout "${TRAIN_S:-100}" $H bench train-backends --backends "${TRAIN_BACKENDS:-cuda,webgpu-tiled}" \
  --layers "${TRAIN_LAYERS:-4096-4096}" --micro-batch "${TRAIN_BATCH:-1024}" --steps "${STEPS:-20}" --warmup 3 --json \
  > "$OUT/train.log" 2> "$OUT/train.err" || { status=1; tail -5 "$OUT/train.err"; }
cat "$OUT/train.log" "$OUT/train.err" | grep -E '^\||^MLP|GPU time by kernel|not measured'
pack
fi

for r in $(seq 1 "${ROUNDS:-3}"); do
  step "bench infer-webgpu, round $r"
  timeout "${ROUND_S:-90}" $H bench infer-webgpu --models "$M" --runs "${RUNS:-50}" --batches "${BATCHES:-1,8}" --json \
    > "$OUT/infer-round$r.log" 2> "$OUT/infer-round$r.err" || { status=1; tail -5 "$OUT/infer-round$r.err"; }
  cat "$OUT/infer-round$r.log" "$OUT/infer-round$r.err" | grep '^|'
  pack
  if [ -n "${SPLIT_AB:-}" ]; then
    step "bench infer-webgpu, round $r, split-k convolutions off, handover only"
    HANDOVER_WEBGPU_CONV_SPLIT=0 timeout "${ROUND_S:-90}" $H bench infer-webgpu --models "$M" --runs "${RUNS:-50}" --batches "${BATCHES:-1,8}" --ort=false --json \
      > "$OUT/infer-round$r-nosplit.log" 2> "$OUT/infer-round$r-nosplit.err" || { status=1; tail -5 "$OUT/infer-round$r-nosplit.err"; }
    grep '^|' "$OUT/infer-round$r-nosplit.err"
    pack
  fi
done

for mb in ${PROFILE:-resnet50:1}; do   # model:batch pairs, each one eager run with per-kernel GPU time
  step "profile ${mb%:*} batch ${mb#*:}"
  timeout 60 $H infer --model "$M/${mb%:*}.onnx" --batch "${mb#*:}" --runs 10 --profile --arena-mb 4096 > "$OUT/profile-${mb/:/-}.log" 2>&1 || status=1
  grep -E "warm runs|profile|^  " "$OUT/profile-${mb/:/-}.log" | head -24
  pack
done

if [ -n "${GPT:-}" ] && [ -z "${INFER_ONLY:-}" ]; then
  for be in cuda webgpu; do
    step "train GPT on $be"
    timeout "${GPT_S:-60}" $H train --model gpt --backend $be --dataset fixture --layers "${GPT_LAYERS:-4}" --width "${GPT_WIDTH:-512}" \
      --heads "${GPT_HEADS:-8}" --context "${GPT_CONTEXT:-128}" --steps "${GPT_STEPS:-8}" --json > "$OUT/gpt-$be.log" 2> "$OUT/gpt-$be.err" \
      || { status=1; tail -3 "$OUT/gpt-$be.err"; }
    tail -1 "$OUT/gpt-$be.log" | grep -o '"[a-zA-Z]*PerSec":[0-9.]*' | head -3
  done
fi

nvidia-smi --query-gpu=clocks.sm,temperature.gpu --format=csv,noheader >> "$OUT/gpu-state.txt"
pack && rm -rf "$OUT"
exit $status
