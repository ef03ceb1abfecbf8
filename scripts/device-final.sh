#!/usr/bin/env bash
# This round's closing GPU call: one setup, then WebGPU inference beside ORT's
# WebGPU EP (scripts/device-w17.sh bench), WebGPU vs CUDA training
# (scripts/device-train-backends.sh), and the evaluation at scale
# (scripts/device-eval.sh, BUDGET_S); all logs packed in $OUT/final-logs.tgz.
# Here: the slim bundle (dist/, every runtime dependency, Dawn and
# onnxruntime-node, no vitest) in .device, the Azure trace in .eval-data/.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT_OUT=${OUT:-$PWD/device-out}
mkdir -p "$ROOT_OUT/work/setup"
OUT=$ROOT_OUT/work/setup
source scripts/device-setup.sh
export HANDOVER_DEVICE_READY=1
phase() { # name, command...: its own log folder, the tail printed
  local name=$1; shift
  export OUT=$ROOT_OUT/work/$name; mkdir -p "$OUT"
  echo; echo "##### $name ($(date -u +%H:%M:%S))"
  "$@" > "$OUT/run.log" 2>&1; echo "(exit $?)"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/run.log" | grep -v '^\s*$' | tail -${TAIL:-25}
}
phase webgpu-infer env RUNS=${RUNS:-50} timeout 150 bash scripts/device-w17.sh bench
phase train-backends env BENCH_S=80 timeout 90 bash scripts/device-train-backends.sh
phase eval env BUDGET_S=${EVAL_BUDGET_S:-330} bash scripts/device-eval.sh
find "$ROOT_OUT/work/eval" -maxdepth 1 -name 'scale-report.*' -exec cp {} "$ROOT_OUT/" \;
tar czf "$ROOT_OUT/final-logs.tgz" -C "$ROOT_OUT/work" . && rm -rf "$ROOT_OUT/work"
