#!/usr/bin/env bash
# The serving load test of issue 18 on the GPU machine, in one call:
# `handover serve` with squeezenet1_1 on loopback, batch-1 requests (binary
# tensor extension) from autocannon at increasing offered rates, with dynamic
# batching off and on; the table gives the throughput reached while p99 stays
# within 4x the standalone latency (measured in the same run).
#
# Here, once per change (needs `cp -r /work/main/.device .`, or ../shared/device/pack.sh .device):
#   EXTRA_DEPS=autocannon bash scripts/device-run.sh pack    # dist/ + node_modules (with autocannon) -> .device/bundle.tar.xz
# On the GPU machine (the `run` tool, carry [".device"]):
#   bash scripts/device-serve.sh [cuda|webgpu|all]           # default cuda; tables and JSON under $OUT
# Environment: RATES (offered req/s, "100,200,400,800,1600,3200"), DURATION (s per rate, 15),
# CONNECTIONS (64), BATCH (16), DELAY_MS (1), STANDALONE (sequential requests for L, 50).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh

RATES=${RATES:-100,200,400,800,1600,3200}
for backend in $( [ "${1:-cuda}" = all ] && echo "cuda webgpu" || echo "${1:-cuda}" ); do
  step "serve load test, $backend"
  node scripts/serve-load.mjs --backend "$backend" --model test/fixtures/squeezenet1_1.onnx --rates "$RATES" \
    --duration "${DURATION:-15}" --connections "${CONNECTIONS:-64}" --batch "${BATCH:-16}" --delay-ms "${DELAY_MS:-1}" \
    --standalone "${STANDALONE:-50}" --arena-mb 2048 --out "$OUT/serve-load-$backend.json" \
    > "$OUT/serve-load-$backend.txt" 2> "$OUT/serve-load-$backend.log" || { status=1; tail -20 "$OUT/serve-load-$backend.log"; }
  cat "$OUT/serve-load-$backend.txt"
done
exit $status
