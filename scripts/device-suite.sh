#!/usr/bin/env bash
# The whole test suite on the GPU machine in one call: the GPU tests on the CUDA
# backend (HANDOVER_TEST_BACKEND=cuda; test/helpers/gpu.ts), the rest as here,
# with Dawn on the NVIDIA Vulkan driver where a file opens WebGPU itself.
# Here: WITH_ORT=1 bash scripts/device-run.sh pack   (after ../shared/device/pack.sh .device)
# There (carry [".device"]): bash scripts/device-suite.sh [vitest args...]
# Writes $OUT/suite.log (whole) and $OUT/suite.json (vitest's JSON report).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh
[ "$status" = 0 ] || exit 1
mkdir -p ../shared/models ../shared/optests
[ -d .device/optests ] && cp -r .device/optests/. ../shared/optests/
step "the suite, GPU tests on CUDA"
HANDOVER_TEST_BACKEND=cuda timeout "${SUITE_TIMEOUT:-420}" node node_modules/vitest/vitest.mjs run \
  --reporter=default --reporter=json --outputFile.json="$OUT/suite.json" "$@" > "$OUT/suite.log" 2>&1
rc=$?
sed 's/\x1b\[[0-9;]*m//g' "$OUT/suite.log" | grep -E "^ (FAIL|×)|✗|×|Test Files|Tests |Error:" | head -60
echo "vitest exit $rc"
exit $rc
