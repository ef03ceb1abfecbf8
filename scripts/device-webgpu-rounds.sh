#!/usr/bin/env bash
# Issue 17's measurements on the GPU machine in one call of the `run` tool (about 4-5 minutes):
#   1. training (z17a): the adapter's features (scripts/probe-adapter.mjs: with and without
#      Dawn's allow_unsafe_apis, subgroup matrix configurations); the matmul probe at the MLP
#      trainer's GEMM shapes (scripts/probe-matmul.mjs: ms and GFLOP/s of the device's choice and
#      each named variant) under each of TOGGLE_SETS (Dawn toggles, ';' between sets; default
#      "none"), whose fastest wide GEMM kernel and toggle set the training bench then runs
#      (HANDOVER_WEBGPU_WIDE_GEMM, HANDOVER_DAWN_TOGGLES; WIDE_GEMM=name, DAWN_TOGGLES=set force
#      them); TRAIN_ROUNDS (3) rounds of
#      `bench train-backends`: the MLP 64-4096-4096-10 at micro-batch 1024 on CUDA (the
#      reference) and WebGPU (Dawn on the NVIDIA Vulkan driver, tiled kernels), with the GFLOP/s
#      of the trainer's three GEMM shapes for cuBLAS, the WebGPU device's choice and each named
#      matmul variant;
#   2. ROUNDS (3) rounds of `bench infer-webgpu`: squeezenet1_1, mobilenet_v2, tiny_gpt and
#      resnet50 at batch 1 and 8, handover beside onnxruntime-node's WebGPU and CPU EPs in the
#      same process (per model and batch, one after the other), RUNS (50) timed runs each;
#   3. PROFILE (resnet50:1): `handover infer --profile` of these model:batch pairs;
#   4. GPT=1 adds `handover train --model gpt` on CUDA and WebGPU (GPT_* size it; GPT_DATASET: fixture, brown).
# KEEP_DEFAULTS=1 runs the training rounds with the project's defaults (no wide GEMM or toggles
# from the probe); DIAG_SHAPES adds a diagnosis probe; AB_ROUND=1 a round with the 2026-12-03
# training variants off (HANDOVER_WEBGPU_TRAIN_VARIANTS=0).
# NO_PROBE=1 skips the adapter and matmul probes (with KEEP_DEFAULTS=1: the training rounds alone).
# TRAIN_ONLY=1: phase 1 (and GPT=1's runs) only, no model export (a short call).
# INFER_ONLY=1 skips the training phases (1 and 4): a short call for the inference kernels.
# SPLIT_AB=1 follows each round of 2. with one of handover alone (--ort=false) with the split-k
# convolutions off (HANDOVER_WEBGPU_CONV_SPLIT=0): before/after in the same call.
# Here, once per change:
#   bash scripts/device-run.sh pack                          # .device/bundle.tar.xz (dist/, Dawn; WITH_ORT=1: onnxruntime-node)
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
# Dawn needs the Vulkan loader, which .device/setup.sh unpacks from .device/libvulkan1_*.deb (with the GL ones)
ldconfig -p | grep -q 'libvulkan.so.1 ' || echo "no libvulkan.so.1 on this machine: carry .device/*.deb (../shared/device/pack.sh); WebGPU will find no adapter" | tee -a "$OUT/setup.log"
cat "$OUT/gpu.txt" 2>/dev/null
date -u +%Y-%m-%dT%H:%M:%SZ | tee "$OUT/date.txt"
H="node bin/handover.js"
M=/tmp/handover-models
FIX=${FIXTURES:-test/fixtures}
mkdir -p "$M"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv | tee "$OUT/gpu-state.txt"
# the logs so far, packed after each phase: a call cut short by its time limit still brings them back
pack() { tar czf "$ROOT_OUT/logs.tgz" -C "$OUT" .; }

if [ -z "${INFER_ONLY:-}" ]; then
if [ -z "${NO_PROBE:-}" ]; then
step "adapter features (Dawn, with and without allow_unsafe_apis)"
timeout 30 node scripts/probe-adapter.mjs > "$OUT/adapter.json" 2> "$OUT/adapter.err" || { status=1; tail -3 "$OUT/adapter.err"; }
node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const [k, v] of Object.entries(a)) console.log(k + ":", v && JSON.stringify({ info: v.info, limits: v.limits, features: v.features, subgroupMatrixConfigs: v.subgroupMatrixConfigs }))' "$OUT/adapter.json"
pack

# The matmul probe under Dawn toggles $1 ("none": none), logs in probe-$1.log; prints the
# probe's last line ("best wide GEMM: NAME (NAME ms, ...)").
probe() {
  local log="$OUT/${PROBE_LOG:-probe}-${1//,/+}.log"
  HANDOVER_DAWN_TOGGLES=${1/#none/} \
  SHAPES=${PROBE_SHAPES:-1024x4096x4096:tB,4096x4096x1024:tA,1024x4096x4096,1024x4096x64:tB,1024x10x4096:tB,10x4096x1024:tA,4096x64x1024:tA,1024x4096x10} \
  VARIANTS=${PROBE_VARIANTS:-matmul_tiled,matmul_tiled8u,matmul_tiled16,matmul_slab8,matmul_tiled64,matmul_tiled32,matmul_narrow} \
    timeout "${PROBE_S:-60}" node scripts/probe-matmul.mjs > "$log" 2> "${log%.log}.err" || { echo "probe $1: exit $?" >&2; status=1; tail -n 3 "${log%.log}.err" >&2; }
  cat "$log" >&2
  tail -1 "$log"
}

# TOGGLE_SETS: Dawn toggle sets to probe, ';' between sets ("none" first: the default); the
# training bench then runs under the set whose fastest wide GEMM took least, with that kernel
# (DAWN_TOGGLES=set forces one, "none" the default toggles: then the kernel fastest under that set).
best_ms=; best_set=none; best=; forced=
IFS=';' read -ra sets <<< "${TOGGLE_SETS:-none}"
else sets=(); fi # NO_PROBE=1: neither the adapter probe nor the matmul probe (KEEP_DEFAULTS needs no pick)
for set in "${sets[@]}"; do
  step "matmul probe at the trainer's GEMM shapes, Dawn toggles: $set"
  line=$(probe "$set")
  echo "toggles $set: $line" | tee -a "$OUT/toggles.txt"
  ms=$(echo "$line" | sed -n 's/^best wide GEMM: \([a-z0-9_]*\) (\1 \([0-9.]*\) ms.*/\2/p')
  kernel=$(echo "$line" | sed -n 's/^best wide GEMM: \([a-z0-9_]*\).*/\1/p')
  [ "$set" = "${DAWN_TOGGLES:-}" ] && forced=$kernel
  if [ -n "$ms" ] && { [ -z "$best_ms" ] || awk "BEGIN{exit !($ms < $best_ms)}"; }; then
    best_ms=$ms; best_set=$set; best=$kernel
  fi
  pack
done
# DIAG_SHAPES: a second probe of DIAG_VARIANTS at these shapes under each toggle set (what the bounds
# checks cost by layout and depth: the weight gradient 4096x4096x1024 with A [k,m] as the trainer
# stores it, with A [m,k], with both transposed, and A [k,m] at k = 4096); logged, not used to pick.
if [ -n "${DIAG_SHAPES:-}" ]; then
  for set in "${sets[@]}"; do
    step "matmul diagnosis probe, Dawn toggles: $set"
    PROBE_LOG=diag PROBE_SHAPES=$DIAG_SHAPES PROBE_VARIANTS=${DIAG_VARIANTS:-matmul_slab8,matmul_tiled8u} PROBE_S=${DIAG_S:-30} probe "$set" > /dev/null
  done
  pack
fi

[ -n "${DAWN_TOGGLES:-}" ] && best=${forced:-$best}
if [ -n "${KEEP_DEFAULTS:-}" ]; then
  # the project's defaults: the wide GEMM and Dawn's toggles as a plain `handover` run has them
  unset HANDOVER_WEBGPU_WIDE_GEMM HANDOVER_DAWN_TOGGLES
else
  export HANDOVER_WEBGPU_WIDE_GEMM=${WIDE_GEMM:-$best}
  toggles=${DAWN_TOGGLES:-$best_set}
  export HANDOVER_DAWN_TOGGLES=${toggles/#none/}
fi
echo "training bench: wide GEMM ${HANDOVER_WEBGPU_WIDE_GEMM:-the default}, Dawn toggles ${HANDOVER_DAWN_TOGGLES:-none}" | tee -a "$OUT/toggles.txt"

for r in $(seq 1 "${TRAIN_ROUNDS:-3}"); do
  step "bench train-backends round $r (MLP 64-${TRAIN_LAYERS:-4096-4096}-10, micro-batch ${TRAIN_BATCH:-1024})"
  timeout "${TRAIN_S:-100}" $H bench train-backends --backends "${TRAIN_BACKENDS:-cuda,webgpu-tiled}" \
    --layers "${TRAIN_LAYERS:-4096-4096}" --micro-batch "${TRAIN_BATCH:-1024}" --steps "${STEPS:-20}" --warmup 3 --json \
    > "$OUT/train-round$r.log" 2> "$OUT/train-round$r.err" || { status=1; tail -5 "$OUT/train-round$r.err"; }
  cat "$OUT/train-round$r.log" "$OUT/train-round$r.err" | grep -E '^\||^MLP|GPU time by kernel|gate waits|^device only|not measured'
  pack
done
# AB_ROUND=1: one more round with the training variants of 2026-12-03 left out
# (HANDOVER_WEBGPU_TRAIN_VARIANTS=0): before and after in the same call.
if [ -n "${AB_ROUND:-}" ]; then
  step "bench train-backends, training variants off (HANDOVER_WEBGPU_TRAIN_VARIANTS=0)"
  HANDOVER_WEBGPU_TRAIN_VARIANTS=0 timeout "${TRAIN_S:-100}" $H bench train-backends --backends "${TRAIN_BACKENDS:-cuda,webgpu-tiled}" \
    --layers "${TRAIN_LAYERS:-4096-4096}" --micro-batch "${TRAIN_BATCH:-1024}" --steps "${STEPS:-20}" --warmup 3 --json \
    > "$OUT/train-off.log" 2> "$OUT/train-off.err" || { status=1; tail -5 "$OUT/train-off.err"; }
  cat "$OUT/train-off.log" "$OUT/train-off.err" | grep -E '^\||^MLP|GPU time by kernel|gate waits|^device only|not measured'
  pack
fi

fi # INFER_ONLY

if [ -z "${TRAIN_ONLY:-}" ]; then
step "export mobilenet_v2 and resnet50 (torchvision, seeded)"
cp scripts/models/export_vision.py "$M/"
(cd "$M" && OUT="$M" VISION_MODELS=resnet50 timeout "${EXPORT_S:-100}" python3 export_vision.py > "$OUT/export.log" 2>&1) || { status=1; tail -3 "$OUT/export.log"; }
cp "$FIX/squeezenet1_1.onnx" "$FIX/tiny_gpt.onnx" "$M/"
ls -la "$M"/*.onnx | awk '{print $5, $9}'
pack

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

fi # TRAIN_ONLY

if [ -n "${GPT:-}" ] && [ -z "${INFER_ONLY:-}" ]; then
  for be in cuda webgpu; do
    step "train GPT on $be"
    timeout "${GPT_S:-60}" $H train --model gpt --backend $be --dataset "${GPT_DATASET:-fixture}" --layers "${GPT_LAYERS:-4}" --width "${GPT_WIDTH:-512}" \
      --heads "${GPT_HEADS:-8}" --context "${GPT_CONTEXT:-128}" --steps "${GPT_STEPS:-8}" --json > "$OUT/gpt-$be.log" 2> "$OUT/gpt-$be.err" \
      || { status=1; tail -3 "$OUT/gpt-$be.err"; }
    tail -1 "$OUT/gpt-$be.log" | grep -o '"[a-zA-Z]*PerSec":[0-9.]*' | head -3
  done
fi

nvidia-smi --query-gpu=clocks.sm,temperature.gpu --format=csv,noheader >> "$OUT/gpu-state.txt"
pack && rm -rf "$OUT"
exit $status
