#!/usr/bin/env bash
# Serving under pressure on the GPU machine, in one call (about 2 minutes):
# `handover serve --backend cuda` with squeezenet1_1 under open-loop Poisson
# load (scripts/serve-tail.mjs: latency from the planned arrival, and the
# server's per-stage histograms), the same rate as per-second bursts (what
# autocannon's rate limiting sends), two models with --max-runs 2, and
# `serve --train digits` (whole and time-sliced training); then REQUIRE-to-usable against an MLP with big
# kernels, whole and time-sliced (scripts/require-usable.mjs).
#
# Here, once per change (needs `cp -r /work/main/.device .`):
#   bash scripts/device-run.sh pack
# On the GPU machine (the `run` tool, carrying the snapshot with .device):
#   bash scripts/device-serve-tail.sh     # $OUT/results.md, $OUT/serve-tail.tar.xz (JSON and logs)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh

M=test/fixtures/squeezenet1_1.onnx
D=${DURATION:-3}
results="$OUT/results.md"
: > "$results"
tail_run() { # name, time limit, serve-tail flags...
  local name=$1 limit=$2; shift 2
  step "$name"
  timeout "$limit" node scripts/serve-tail.mjs --backend cuda --model "$M" --duration "$D" --arena-mb 2048 --standalone 30 \
    --out "$OUT/$name.json" "$@" > "$OUT/$name.md" 2> "$OUT/$name.log" || { status=1; tail -5 "$OUT/$name.log"; }
  cat "$OUT/$name.md" | tee -a "$results"
}

tail_run serve 25 --rates 200,800,1600
tail_run burst 15 --rates 200 --arrivals burst
tail_run two-models 20 --rates 800,1600 --models 2 --flags="--max-runs 2"
tail_run train 25 --rates 200,800 --train digits
tail_run train-sliced 25 --rates 200,800 --train digits --flags="--slice on"

step "REQUIRE-to-usable, MLP 1024-8192-8192-10 at micro-batch 16384, whole vs sliced"
timeout "${T_REQUIRE:-45}" node scripts/require-usable.mjs --backend cuda --layers 8192-8192 --features 1024 --micro 16384 \
  --arena-gb 8 --sizes-mb 64,2048 --reps "${REPS:-5}" --out "$OUT/require.json" > "$OUT/require.md" 2> "$OUT/require.log" || { status=1; tail -5 "$OUT/require.log"; }
cat "$OUT/require.md" | tee -a "$results"

(cd "$OUT" && tar cJf serve-tail.tar.xz *.json *.log 2>/dev/null && rm -f serve*.json burst*.json two-models*.json train*.json require.json serve.log burst.log two-models.log train.log train-sliced.log require.log serve.md burst.md two-models.md train.md train-sliced.md require.md)
exit $status
