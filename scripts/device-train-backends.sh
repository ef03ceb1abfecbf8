#!/usr/bin/env bash
# Issue 17 (WebGPU training, dtypes) on the GPU machine in one call of the `run` tool:
# the MLP trainer on CUDA and on WebGPU (Dawn on the NVIDIA Vulkan driver, tiled and
# register kernels) in one process (`handover bench train-backends`), then the dtype
# tests on Dawn and on CUDA.
# Here, once per change:
#   bash scripts/device-run.sh pack                  # dist/, vitest, Dawn -> .device/bundle.tar.xz
#   node scripts/build-cuda.mjs --arch sm_90         # native-cuda/build/handover_cuda.node (carried: no build there)
# There:  bash scripts/device-train-backends.sh      # logs under $OUT
# TRAIN_LAYERS (4096-4096), TRAIN_BATCH (1024), STEPS (20) size the bench.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
status=0
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
clean() { sed 's/\x1b\[[0-9;]*m//g'; }

step setup
source .device/setup.sh > "$OUT/setup.log" 2>&1
tar xJf .device/bundle.tar.xz
node scripts/embed-shaders.mjs > /dev/null
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ | tee "$OUT/date.txt"
if [ ! -f native-cuda/build/handover_cuda.node ]; then
  step build:cuda
  node scripts/build-cuda.mjs --arch sm_90 > "$OUT/build.log" 2>&1 || { status=1; tail -20 "$OUT/build.log"; }
fi

step "bench train-backends (${TRAIN_LAYERS:-4096-4096}, micro-batch ${TRAIN_BATCH:-1024})"
timeout "${BENCH_S:-100}" node bin/handover.js bench train-backends --backends cuda,webgpu-tiled,webgpu-register \
  --layers "${TRAIN_LAYERS:-4096-4096}" --micro-batch "${TRAIN_BATCH:-1024}" --steps "${STEPS:-20}" --warmup 3 --json \
  > "$OUT/bench.log" 2> "$OUT/bench.err" || { status=1; tail -8 "$OUT/bench.err"; }
grep -v '^{' "$OUT/bench.log"

step "dtype tests on Dawn/Vulkan and CUDA"
timeout "${TESTS_S:-40}" node node_modules/vitest/vitest.mjs run test/dtypes.test.ts test/cuda-dtypes.test.ts > "$OUT/tests.log" 2>&1 || status=1
clean < "$OUT/tests.log" | grep -E "×|FAIL|Test Files|Tests |skipped|AssertionError" | head -20
exit $status
