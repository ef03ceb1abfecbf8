#!/usr/bin/env bash
# The benchmarks of issues 3 and 5 on the GPU machine, in one call: build the
# CUDA addon there, then on CUDA and on Dawn over NVIDIA Vulkan run the
# handover and arena benchmarks, MLP training on Fashion-MNIST (gated and
# ungated) beside PyTorch eager, digits training with and without --storm;
# check the results and print a short table last.
#
# Here, once per change (needs ../shared/device/pack.sh .device done before):
#   bash scripts/device-bench.sh pack [--no-webgpu]   # -> .bench/ (node, dist, dawn.node, Fashion-MNIST as .xz)
# On the GPU machine (the `run` tool, carrying .bench):
#   bash scripts/device-bench.sh [cuda|webgpu|all|gate] # logs, JSON and the table under $OUT (or .bench/out)
# Environment: EPOCHS (Fashion-MNIST epochs, 20), REQUIRES (per mode, 500),
# BATCH (128), LR (0.05), REPEATS (gated/ungated pairs, 3), ACCUM (the
# effective batch of the second handover run, 8192 = 64 micro-batches of 128).
#
# The carry limit is 64 MiB with the tracked tree; Node (23 MiB) and
# Fashion-MNIST recompressed with xz (25 MiB) leave room for dawn.node but not
# for vitest: the test suites run in scripts/device-run.sh, a separate call.
set -uo pipefail
cd "$(dirname "$0")/.."
B=.bench

if [ "${1:-}" = pack ]; then
  set -e
  [ -f .device/setup.sh ] || { echo "run: bash ../shared/device/pack.sh .device first" >&2; exit 1; }
  grep -qx '/.bench/' .git/info/exclude || echo /.bench/ >> .git/info/exclude
  grep -qx '/.fmnist/' .git/info/exclude || echo /.fmnist/ >> .git/info/exclude
  node scripts/embed-shaders.mjs
  npx tsc -p tsconfig.json || echo "device-bench pack: tsc reported errors; dist/ was still written"
  rm -rf "$B" && mkdir -p "$B/fmnist" .fmnist
  cp .device/setup.sh .device/node.xz .device/node-api-headers.tar.xz .device/*.deb "$B/"
  for f in /usr/share/datasets/fashion-mnist/*.gz; do
    x=.fmnist/$(basename "$f" .gz).xz
    [ -s "$x" ] || { gzip -dc "$f" | xz -9e -T0 > "$x.tmp" && mv "$x.tmp" "$x"; }
    cp "$x" "$B/fmnist/"
  done
  web=node_modules/webgpu
  [ "${2:-}" = --no-webgpu ] && web=
  tar cJf "$B/js.tar.xz" --exclude='*.map' --exclude='*.d.ts' --exclude='node_modules/webgpu/dist/darwin-*' \
    --exclude='node_modules/webgpu/dist/win32-*' --exclude='node_modules/webgpu/dist/linux-arm64' dist $web
  du -sh "$B" "$B"/*
  echo "tree + carry: $(( ($(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1) + $(du -sb "$B" | cut -f1)) / 1048576 )) MiB (limit 64)"
  exit 0
fi

what=${1:-all}
OUT=${OUT:-$PWD/.bench/out}
W=/tmp/bench-work
rm -rf "$W"; mkdir -p "$OUT" "$W"
: > "$OUT/stdout.log"; : > "$OUT/stderr.log"
status=0
EPOCHS=${EPOCHS:-20} REQUIRES=${REQUIRES:-500} BATCH=${BATCH:-128} LR=${LR:-0.05} REPEATS=${REPEATS:-3} ACCUM=${ACCUM:-8192}
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
# run NAME LIMIT_S CMD...: stdout to $W/NAME.out (its last line to NAME.json), stderr to NAME.err
run() {
  local name=$1 limit=$2; shift 2
  step "$name: $*"
  timeout "$limit" "$@" > "$W/$name.out" 2> "$W/$name.err"
  local rc=$?
  { echo "##### $name (rc $rc)"; cat "$W/$name.out"; } >> "$OUT/stdout.log"
  { echo "##### $name (rc $rc)"; tr '\r' '\n' < "$W/$name.err" | grep -v '^\s*$' | tail -60; } >> "$OUT/stderr.log"
  grep -v '^{' "$W/$name.out" | tail -5
  tail -1 "$W/$name.out" | grep '^{' > "$W/$name.json" || rm -f "$W/$name.json"
  if [ $rc -ne 0 ] || [ ! -f "$W/$name.json" ]; then echo "FAILED ($name, rc $rc):"; tr '\r' '\n' < "$W/$name.err" | tail -25; status=1; fi
}

step setup
source "$B/setup.sh"
tar xJf "$B/js.tar.xz"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export HANDOVER_FASHION_MNIST=/tmp/fmnist
mkdir -p "$HANDOVER_FASHION_MNIST"
for x in "$B"/fmnist/*.xz; do xz -dc "$x" | gzip -1 > "$HANDOVER_FASHION_MNIST/$(basename "$x" .xz).gz"; done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$W/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ > "$W/date.txt"
H="node bin/handover.js"
FM="--dataset fashion-mnist --epochs $EPOCHS --effective-batch $BATCH --micro-batch $BATCH --lr $LR --momentum 0.9 --json"

if [ "$what" != webgpu ]; then
  step build:cuda
  node scripts/build-cuda.mjs --force > "$W/build.log" 2>&1 || { status=1; tail -30 "$W/build.log"; }
fi
if [ "$what" = gate ]; then  # only the gated/ungated training pairs
  for r in $(seq 1 "$REPEATS"); do
    run "cuda-train-gated-$r" 240 $H train --backend cuda $FM
    run "cuda-train-ungated-$r" 240 $H train --backend cuda $FM --max-in-flight 1000000000
  done
elif [ "$what" != webgpu ]; then
  run cuda-handover 300 $H bench handover --backend cuda --requires "$REQUIRES" --json
  run cuda-handover-accum 300 $H bench handover --backend cuda --requires "$REQUIRES" --effective-batch "$ACCUM" --json
  run cuda-arena 120 $H bench arena --backend cuda --json
  run cuda-arena-1g 120 $H bench arena --backend cuda --mb 1024 --json
  for r in $(seq 1 "$REPEATS"); do
    run "cuda-train-gated-$r" 240 $H train --backend cuda $FM
    run "cuda-train-ungated-$r" 240 $H train --backend cuda $FM --max-in-flight 1000000000
  done
  run torch-mlp 240 python3 scripts/torch-mlp.py --epochs "$EPOCHS" --batch "$BATCH" --lr "$LR" --momentum 0.9
fi
if [ "$what" = webgpu ] || [ "$what" = all ]; then
  run webgpu-handover 300 $H bench handover --backend webgpu --requires "$REQUIRES" --json
  run webgpu-arena 120 $H bench arena --backend webgpu --json
  run webgpu-arena-1g 120 $H bench arena --backend webgpu --mb 1024 --json
  run webgpu-digits 180 $H train --backend webgpu --dataset digits --epochs 10 --json
  run webgpu-digits-storm 180 $H train --backend webgpu --dataset digits --epochs 10 --storm 100 --json
fi

step "checks and table"
node scripts/bench-table.mjs "$W" > "$W/table.md" || status=1
cat "$W/build.log" >> "$OUT/stdout.log" 2>/dev/null
cp "$W/table.md" "$OUT/table.md"
cat "$W/table.md"
exit $status
