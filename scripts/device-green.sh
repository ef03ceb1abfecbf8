#!/usr/bin/env bash
# Green contexts on the GPU machine, in one call: build the CUDA addon there,
# run the SM-partition tests, then the green-context benchmark (training GEMMs
# on all SMs or on a partition while inference runs); the table is printed last.
#
# Here, once per change (needs ../shared/device/pack.sh .device done before):
#   bash scripts/device-run.sh pack      # tsc to dist/ (has dist/src/bench/cuda-green.js), bundle -> .device/bundle.tar.xz
# On the GPU machine (the `run` tool, carrying .device):
#   bash scripts/device-green.sh [bench-green options]   # logs and green.json under $OUT (or ./device-out)
set -uo pipefail
cd "$(dirname "$0")/.."

source scripts/device-setup.sh

step "green-context tests"
node node_modules/vitest/vitest.mjs run test/cuda-green.test.ts 2>&1 | tee "$OUT/green-tests.log" \
  | sed 's/\x1b\[[0-9;]*m//g' | grep -Ev '^ *✓' | tail -30
grep -q "failed" "$OUT/green-tests.log" && status=1

step "green-context benchmark"
timeout 300 node dist/src/bench/cuda-green.js --json "$OUT/green.json" "$@" 2>&1 | tee "$OUT/bench-green.log" || status=1
[ -s "$OUT/green.json" ] || status=1

step summary
grep -h "cuda-green:" "$OUT/green-tests.log" | sed 's/\x1b\[[0-9;]*m//g'
grep -h "Tests " "$OUT/green-tests.log" | sed 's/\x1b\[[0-9;]*m//g'
sed -n '/^| /,$p' "$OUT/bench-green.log"
exit $status
