#!/usr/bin/env bash
# REQUIRE-to-usable at GPU scale on the GPU machine (issue 21's target: p99 <= 5 ms
# for requires up to 4 GB), in one call of about two minutes: an MLP
# 1024-8192-8192-10 trains at micro-batch 32768 (~6 GB of activations, GEMMs of
# hundreds of ms) in a 16 GiB arena; REQUIREs of 64 MiB, 2 GiB and 4 GiB beyond
# the free pages arrive at random moments (scripts/require-usable.mjs), with
# whole kernels and time-sliced at several SLOs (the slice budget is SLO / 4).
#
# Here, once per change: npm run build; NO_DAWN=1 EXTRA_DEPS= bash scripts/device-run.sh pack
# On the GPU machine (the `run` tool, carrying .device and the prebuilt addon):
#   HANDOVER_PREBUILT_ADDON=1 bash scripts/device-require.sh   # $OUT/require.md, $OUT/require-*.json
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh

SIZES=${SIZES:-64,2048,4096}
REPS=${REPS:-10}
SLOS=${SLOS:-20,8,4}
common=(--backend cuda --layers 8192-8192 --features 1024 --micro "${MICRO:-32768}" --arena-gb "${ARENA_GB:-16}" --sizes-mb "$SIZES" --reps "$REPS")
results="$OUT/require.md"
: > "$results"
first=1
for slo in ${SLOS//,/ }; do
  modes=sliced
  [ "$first" = 1 ] && modes=whole,sliced  # the unsliced reference once
  first=0
  step "REQUIRE-to-usable, $modes, SLO $slo ms (budget $slo / 4)"
  echo "### $modes, SLO $slo ms" >> "$results"
  timeout "${T_EACH:-150}" node scripts/require-usable.mjs "${common[@]}" --slo-ms "$slo" --modes "$modes" --out "$OUT/require-slo$slo.json" \
    >> "$results" 2> "$OUT/require-slo$slo.log" || { status=1; tail -5 "$OUT/require-slo$slo.log"; }
  tail -n 12 "$results"
done
exit $status
