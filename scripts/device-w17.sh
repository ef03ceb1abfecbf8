#!/usr/bin/env bash
# Issue 17 (WebGPU speed) on the GPU machine, in one call of the `run` tool.
# Here, once per change:
#   bash scripts/device-w17.sh pack   # .device/bundle.tar.xz: dist/, Dawn and onnxruntime-node for linux-x64
#                                     # only; WITH_VITEST=1 adds vitest (the tests phase)
#   cp <a built native-cuda/build/handover_cuda.node> native-cuda/build/   # optional: skips the build there
# There (phases in this order, whatever order they are named in; default "bench profile train"):
#   bash scripts/device-w17.sh [bench] [register] [profile] [tests] [train]
#     tests:    the tiled-kernel and kernel suites on Dawn over NVIDIA Vulkan (needs vitest in the bundle)
#     bench:    handover bench infer-webgpu (auto kernels) beside ORT's WebGPU and CPU EPs
#     register: the same, handover only, with the register-only kernels (HANDOVER_WEBGPU_KERNELS=register)
#     profile:  handover infer --profile for each model, batch 1 and 8
#     train:    the MLP trainer on CUDA, WebGPU and WebGPU with register kernels, GPU-bound configuration (TRAIN_LAYERS, TRAIN_BATCH)
# Logs under $OUT. mobilenet_v2 is re-exported there (scripts/models/export_vision.py, seeded).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
status=0
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
if [ "${1:-}" = pack ]; then
  set -e
  [ -f .device/setup.sh ] || { echo "device-w17 pack: copy .device (node.xz, setup.sh) first" >&2; exit 1; }
  node scripts/embed-shaders.mjs
  npx tsc -p tsconfig.json
  # protobufjs (the ONNX loader) with its dependencies, found the way Node resolves them
  # (a node_modules/node_modules link back to node_modules makes node-deps print top-level packages
  # behind repeated prefixes: fold them. WITH_VITEST=1 adds vitest, for the tests phase, less Vite's CSS
  # compiler (lightningcss, 10 MB; the suites have no CSS) so that the carry fits 64 MiB beside the checkout.)
  deps=$(node scripts/node-deps.mjs --optional protobufjs onnxruntime-common ${WITH_VITEST:+vitest} | sed -E 's#^(node_modules/)+#node_modules/#' | sort -u)
  tar cJf .device/bundle.tar.xz --exclude='*.map' --exclude='*.d.ts' \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
    --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' --exclude='node_modules/lightningcss*' dist $deps \
    node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64 \
    node_modules/onnxruntime-node/package.json node_modules/onnxruntime-node/dist node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  du -sh .device .device/bundle.tar.xz
  exit 0
fi
phases=" ${*:-bench profile train} "
has() { [[ $phases == *" $1 "* ]]; }
clean() { sed 's/\x1b\[[0-9;]*m//g'; }

step setup
source .device/setup.sh > "$OUT/setup.log" 2>&1
tar xJf .device/bundle.tar.xz
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ | tee "$OUT/date.txt"
H="node bin/handover.js"
M=/tmp/handover-models
FIX=${FIXTURES:-test/fixtures}   # a slim carry may leave the fixtures to the checkout beside it
mkdir -p "$M"
if has bench || has register || has profile; then
  if [ ! -s "$M/mobilenet_v2.onnx" ]; then
    step "export mobilenet_v2"
    cp scripts/models/export_vision.py "$M/"
    # VISION_MODELS=resnet50 (default) adds the GPU-scale CNN to the bench; VISION_MODELS= leaves it out
    (cd "$M" && OUT="$M" VISION_MODELS=${VISION_MODELS-resnet50} timeout 120 python3 export_vision.py > "$OUT/export.log" 2>&1) || echo "export_vision.py failed: $(tail -3 "$OUT/export.log")"
  fi
fi
cp "$FIX/squeezenet1_1.onnx" "$FIX/tiny_gpt.onnx" "$M/"

if has bench; then
  step "bench infer-webgpu (auto kernels)"
  timeout 300 $H bench infer-webgpu --models "$M" --runs "${RUNS:-50}" --json > "$OUT/bench.log" 2> "$OUT/bench.err" || status=1
  grep -v '^{' "$OUT/bench.log"; grep -E " batch [0-9]+:|failed|Error" "$OUT/bench.err" | grep -v "^{" | cut -c1-400
fi
if has register; then
  step "bench infer-webgpu, register kernels, handover only"
  HANDOVER_WEBGPU_KERNELS=register timeout 200 $H bench infer-webgpu --models "$M" --runs "${RUNS:-50}" --ort=false --json > "$OUT/bench-register.log" 2> "$OUT/bench-register.err" || status=1
  grep '^|' "$OUT/bench-register.log"
fi
if has profile; then
  for m in ${PROFILE_MODELS:-squeezenet1_1 mobilenet_v2 tiny_gpt}; do
    for b in ${PROFILE_BATCHES:-1 8}; do
      step "profile $m batch $b"
      timeout 60 $H infer --model "$M/$m.onnx" --batch $b --runs 10 --profile --arena-mb 4096 > "$OUT/profile-$m-$b.log" 2>&1
      grep -E "warm runs|profile|^  " "$OUT/profile-$m-$b.log" | head -${PROFILE_LINES:-16}
    done
  done
fi
if has tests; then
  step "tests on Dawn/Vulkan"
  node scripts/embed-shaders.mjs   # the tests import src/ (its generated shader table is not carried)
  timeout ${TESTS_TIMEOUT:-240} node node_modules/vitest/vitest.mjs run test/webgpu-tiled.test.ts test/kernels.test.ts > "$OUT/tests.log" 2>&1
  clean < "$OUT/tests.log" | grep -E "✗|×|FAIL|Test Files|Tests |Error:|AssertionError" | head -30
  grep -q "failed" "$OUT/tests.log" && status=1
fi
if has train; then
  if [ ! -f native-cuda/build/handover_cuda.node ]; then
    step build:cuda
    node scripts/build-cuda.mjs --force > "$OUT/build.log" 2>&1 || { status=1; tail -20 "$OUT/build.log"; }
  fi
  TL=${TRAIN_LAYERS:-4096-4096} TB=${TRAIN_BATCH:-1024}
  for run in cuda webgpu webgpu-register; do
    be=${run%-register}
    step "train $run (layers $TL, batch $TB)"
    [ "$run" = webgpu-register ] && export HANDOVER_WEBGPU_KERNELS=register
    timeout 120 $H train --backend $be --dataset digits --layers "$TL" --effective-batch "$TB" --micro-batch "$TB" --epochs "${TRAIN_EPOCHS:-40}" --page-kb 2048 --json > "$OUT/train-$be.log" 2> "$OUT/train-$be.err" || { status=1; tail -5 "$OUT/train-$be.err"; }
    grep -v '^{' "$OUT/train-$be.log" | tail -2; tail -1 "$OUT/train-$be.log" | grep -o '"samplesPerSec":[0-9.]*\|"testAccuracy":[0-9.]*'
    cp "$OUT/train-$be.log" "$OUT/train-$run.json.log"; unset HANDOVER_WEBGPU_KERNELS
  done
fi
exit $status
