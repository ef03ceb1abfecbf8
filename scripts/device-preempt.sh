#!/usr/bin/env bash
# Time-sliced training on the GPU machine, in one call: the slicing tests on
# Dawn (NVIDIA Vulkan) and on CUDA, then `handover bench preempt` on Dawn
# (the one-queue device slicing is for) and on CUDA (inference lane + slicing
# switched on, for comparison); the tables are printed last.
#
# Here, once per change (needs ../shared/device/pack.sh .device done before):
#   bash scripts/device-run.sh pack      # tsc to dist/, bundle -> .device/bundle.tar.xz
# On the GPU machine (the `run` tool, carrying .device; about 3 minutes):
#   bash scripts/device-preempt.sh [extra bench preempt flags]   # logs and JSON under $OUT (or ./device-out)
set -uo pipefail
cd "$(dirname "$0")/.."

source scripts/device-setup.sh
H="node bin/handover.js"
# A hardware GPU: a bigger MLP and micro-batch than SwiftShader's defaults, so a training kernel outlasts a request.
SIZE=(--layers 2048-2048 --micro-batch 1024 --request-layers 64-1024-1024-10 --requests 300 --request-rate 50 --train-seconds 5)

step "slicing tests (Dawn on NVIDIA Vulkan)"
node node_modules/vitest/vitest.mjs run test/time-slicing.test.ts test/slice-budget.test.ts 2>&1 | tee "$OUT/slice-tests-webgpu.log" | tail -12
grep -q "failed" "$OUT/slice-tests-webgpu.log" && status=1

step "slicing tests (CUDA)"
HANDOVER_TEST_BACKEND=cuda node node_modules/vitest/vitest.mjs run test/time-slicing.test.ts 2>&1 | tee "$OUT/slice-tests-cuda.log" | tail -12
grep -q "failed" "$OUT/slice-tests-cuda.log" && status=1

for backend in webgpu cuda; do
  step "bench preempt --backend $backend"
  timeout 240 $H bench preempt --backend "$backend" "${SIZE[@]}" --json "$@" 2>"$OUT/preempt-$backend.err" | tee "$OUT/preempt-$backend.log" || status=1
  tail -1 "$OUT/preempt-$backend.log" > "$OUT/preempt-$backend.json"
  grep -v "^{" "$OUT/preempt-$backend.err" | tail -5
done

step summary
for backend in webgpu cuda; do echo "--- $backend"; grep -v '^{' "$OUT/preempt-$backend.log"; done
sed 's/\x1b\[[0-9;]*m//g' "$OUT"/slice-tests-*.log | grep -h "Tests "
exit $status
