#!/usr/bin/env bash
# Issue 17 (WebGPU training, dtypes) on the GPU machine in one call of the `run` tool:
# the MLP trainer on CUDA and on WebGPU (Dawn on the NVIDIA Vulkan driver, tiled and
# register kernels) in one process (`handover bench train-backends`), then the dtype
# tests on Dawn and on CUDA.
# Here, once per change:
#   bash scripts/device-run.sh pack                  # dist/, vitest, Dawn -> .device/bundle.tar.xz
#   node scripts/build-cuda.mjs --arch sm_90         # native-cuda/build/handover_cuda.node (carried: no build there)
#   (the snapshot must carry native-cuda/build/handover_cuda.node: git ignores it)
# There:  bash scripts/device-train-backends.sh      # logs under $OUT
# TRAIN_LAYERS (4096-4096), TRAIN_BATCH (1024), STEPS (20) size the bench.
set -uo pipefail
cd "$(dirname "$0")/.."
# Node, the bundle, the shaders, $OUT, step(); the carried addon (built here, sm_90) instead of a build there
OUT=${OUT:-$PWD/device-out}
mkdir -p "$OUT"
HANDOVER_PREBUILT_ADDON=1 source scripts/device-setup.sh > "$OUT/setup.log" 2>&1 || true
# a carried dist/ (tar cJf .device/dist.tar.xz dist) replaces the bundle's: a bundle packed from a worktree
# whose node_modules is a symlink has broken paths, so the checkout's bundle can serve with this dist
[ -f .device/dist.tar.xz ] && tar xJf .device/dist.tar.xz
clean() { sed 's/\x1b\[[0-9;]*m//g'; }
cat "$OUT/gpu.txt"; date -u +%Y-%m-%dT%H:%M:%SZ | tee "$OUT/date.txt"

step "bench train-backends (${TRAIN_LAYERS:-4096-4096}, micro-batch ${TRAIN_BATCH:-1024})"
timeout "${BENCH_S:-100}" node bin/handover.js bench train-backends --backends cuda,webgpu-tiled,webgpu-register \
  --layers "${TRAIN_LAYERS:-4096-4096}" --micro-batch "${TRAIN_BATCH:-1024}" --steps "${STEPS:-20}" --warmup 3 --json \
  > "$OUT/bench.log" 2> "$OUT/bench.err" || { status=1; tail -8 "$OUT/bench.err"; }
grep -v '^{' "$OUT/bench.log"

step "dtype tests on Dawn/Vulkan and CUDA"
timeout "${TESTS_S:-40}" node node_modules/vitest/vitest.mjs run test/dtypes.test.ts test/cuda-dtypes.test.ts > "$OUT/tests.log" 2>&1 || status=1
clean < "$OUT/tests.log" | grep -E "×|FAIL|Test Files|Tests |skipped|AssertionError" | head -20
exit $status
