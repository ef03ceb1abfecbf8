#!/usr/bin/env bash
# This round's GPU-machine work in as few `run` calls as the device allows: one
# setup (Node, the bundle, the addon), then the named phases in order, each in
# its own log folder; at the end every log is packed into $OUT/round-logs.tgz
# (the tool brings back at most 8 files) and each phase's last lines are printed.
#
# Here, once per change (after ../shared/device/pack.sh .device):
#   WITH_ORT=1 EXTRA_DEPS=autocannon bash scripts/device-run.sh pack
# There (carry [".device"]):
#   bash scripts/device-round.sh webgpu-speed preempt pollution serve     # ~9 minutes
#   bash scripts/device-round.sh gpt check                                # ~9 minutes
# Phases (gpt-memory: only the GPT memory and REQUIRE part):
#   webgpu-speed  scripts/device-w17.sh bench train register profile (issue 17's table)
#   preempt       scripts/device-preempt.sh (time-sliced training on Dawn and CUDA)
#   pollution     scripts/device-pollution.sh pollution (10^5 operations, canaries read on the GPU)
#   serve         scripts/device-serve.sh cuda (RATES, DURATION shortened unless given)
#   gpt           scripts/device-gpt.sh (the GPT beside PyTorch)
#   gpt-kernels   scripts/device-gpt-kernels.sh
#   check         scripts/device-all.sh check (the suites on CUDA)
#   scale         scripts/device-scale-models.sh (resnet50, efficientnet_b0, GPT-2-small KV on CUDA)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT_OUT=${OUT:-$PWD/device-out}
mkdir -p "$ROOT_OUT/work"
OUT=$ROOT_OUT/work
source scripts/device-setup.sh
export HANDOVER_DEVICE_READY=1
date -u +%Y-%m-%dT%H:%M:%SZ > "$ROOT_OUT/work/date.txt"
rc=0
for phase in "$@"; do
  export OUT=$ROOT_OUT/work/$phase
  mkdir -p "$OUT"
  echo; echo "##### $phase ($(date -u +%H:%M:%S))"
  case $phase in
    webgpu-speed) FIXTURES=test/fixtures PROFILE_BATCHES=1 bash scripts/device-w17.sh bench train register profile > "$OUT/run.log" 2>&1 ;;
    preempt) bash scripts/device-preempt.sh > "$OUT/run.log" 2>&1 ;;
    pollution) bash scripts/device-pollution.sh pollution > "$OUT/run.log" 2>&1 ;;
    serve) RATES=${RATES:-200,800,3200} DURATION=${DURATION:-8} bash scripts/device-serve.sh cuda > "$OUT/run.log" 2>&1 ;;
    gpt) bash scripts/device-gpt.sh > "$OUT/run.log" 2>&1 ;;
    gpt-memory) ONLY=memory timeout 300 node scripts/gpt-bench.mjs cuda "$OUT" > "$OUT/run.log" 2>&1 ;;
    gpt-kernels) bash scripts/device-gpt-kernels.sh > "$OUT/run.log" 2>&1 ;;
    check) bash scripts/device-all.sh check > "$OUT/run.log" 2>&1 ;;
    scale) bash scripts/device-scale-models.sh > "$OUT/run.log" 2>&1 ;;
    *) echo "unknown phase $phase" > "$OUT/run.log"; false ;;
  esac
  r=$?; [ $r = 0 ] || rc=1
  echo "(exit $r)"; sed 's/\x1b\[[0-9;]*m//g' "$OUT/run.log" | grep -v '^\s*$' | tail -${TAIL:-30}
done
tar czf "$ROOT_OUT/round-logs.tgz" -C "$ROOT_OUT/work" . && rm -rf "$ROOT_OUT/work"
exit $rc
