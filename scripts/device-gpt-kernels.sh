#!/usr/bin/env bash
# The GPT training kernels (docs/gpt-kernels.md) on the GPU machine in one call:
# build the addon there, run the kernel suites on CUDA and on WebGPU (Dawn on
# the NVIDIA Vulkan driver), then time the kernels at GPT-2-small shape on both,
# and PyTorch's causal scaled_dot_product_attention (fp32, TF32 off) beside them.
# ONLY=cuda: the CUDA suites and timings alone (no Dawn).
#
# Here:  cp -r <a checkout with .device>/.device . && bash scripts/device-run.sh pack
# There (the `run` tool, carrying .device or a folder holding this tree):
#   bash scripts/device-gpt-kernels.sh     # logs and JSON under $OUT (or ./device-out)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh
[ "$status" = 0 ] || exit 1

suite() { # log name, then vitest files: the summary lines; a failure sets status
  local log=$OUT/$1.log; shift
  timeout 150 node node_modules/vitest/vitest.mjs run "$@" > "$log" 2>&1 || status=1
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E "×|FAIL|skipped|Test Files|Tests |Error" | head -30
}
GPU_TESTS=(test/gpt-kernels.test.ts test/gpt-kernels-loss.test.ts test/gpt-kernels-attention.test.ts)

step "GPT kernels on CUDA"
HANDOVER_TEST_BACKEND=cuda suite gpt-cuda "${GPU_TESTS[@]}" test/gpt-kernels-layout.test.ts
if [ "${ONLY:-}" != cuda ]; then
  step "GPT kernels on WebGPU (Dawn on NVIDIA Vulkan)"
  suite gpt-webgpu "${GPU_TESTS[@]}"
fi
step "PyTorch causal attention (sdpa, fp32)"
timeout 60 python3 scripts/torch-attention.py --json "$OUT/torch-attention.json" 2>&1 | head -3 || status=1
for b in cuda $([ "${ONLY:-}" = cuda ] || echo webgpu); do
  step "GPT kernels at GPT-2-small shape, $b"
  HANDOVER_ATTENTION_BASELINE=1 timeout 90 node dist/src/bench/gpt-kernels.js --backend $b --json "$OUT/bench-$b.json" 2>&1 | grep -v XDG_RUNTIME || status=1
done
exit $status
