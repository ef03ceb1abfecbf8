#!/usr/bin/env bash
# The benchmarks of issues 3 and 5 on the GPU machine, in one call: build the
# CUDA addon there, then on CUDA and on Dawn over NVIDIA Vulkan run the
# handover and arena benchmarks, MLP training on Fashion-MNIST (gated and
# ungated) beside PyTorch eager, digits training with and without --storm;
# check the results and print a short table last.
#
# Here, once per change (needs ../shared/device/pack.sh .device done before):
#   bash scripts/device-bench.sh pack [--no-webgpu] [--no-fmnist] [--models]
#     -> .bench/ (node, dist, dawn.node, Fashion-MNIST as .xz; --models adds the
#        three ONNX files and their export scripts from ../shared/models, 23 MiB:
#        with Fashion-MNIST that passes the 64 MiB carry, so pack them for
#        `infer` with --no-webgpu --no-fmnist --models)
# On the GPU machine (the `run` tool, carrying .bench):
#   bash scripts/device-bench.sh [cuda|webgpu|all|gate|infer] # logs, JSON and the table under $OUT (or .bench/out)
# `infer` (also part of `cuda` and `all`): batch-1 inference latency of
# squeezenet1_1, mobilenet_v2 and tiny_gpt, handover on CUDA with and without
# CUDA graphs beside PyTorch eager (scripts/torch-infer-ref.py); the models are
# looked for in $MODELS, .bench/models, then ../shared/models.
# Environment: EPOCHS (Fashion-MNIST epochs, 20), REQUIRES (per mode, 500), IRUNS (timed inference runs, 200),
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
  web=node_modules/webgpu fmnist=1
  for a in "${@:2}"; do
    case $a in
      --no-webgpu) web= ;;
      --no-fmnist) fmnist= ;;
      --models)
        mkdir -p "$B/models"
        for f in squeezenet1_1.onnx mobilenet_v2.onnx tiny_gpt.onnx export_vision.py export_tiny_transformers.py; do
          cp "../shared/models/$f" "$B/models/" || echo "device-bench pack: ../shared/models/$f not found" >&2
        done ;;
      *) echo "device-bench pack: unknown option $a" >&2; exit 1 ;;
    esac
  done
  for f in ${fmnist:+/usr/share/datasets/fashion-mnist/*.gz}; do
    x=.fmnist/$(basename "$f" .gz).xz
    [ -s "$x" ] || { gzip -dc "$f" | xz -9e -T0 > "$x.tmp" && mv "$x.tmp" "$x"; }
    cp "$x" "$B/fmnist/"
  done
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
EPOCHS=${EPOCHS:-20} REQUIRES=${REQUIRES:-500} BATCH=${BATCH:-128} LR=${LR:-0.05} REPEATS=${REPEATS:-3} ACCUM=${ACCUM:-8192} IRUNS=${IRUNS:-200}
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }
# run NAME LIMIT_S CMD...: stdout to $W/NAME.out (its last line to NAME.json), stderr to NAME.err
run() {
  local name=$1 limit=$2; shift 2
  step "$name: $*"
  timeout "$limit" "$@" > "$W/$name.out" 2> "$W/$name.err"
  local rc=$?
  { echo "##### $name (rc $rc)"; cat "$W/$name.out"; } >> "$OUT/stdout.log"
  { echo "##### $name (rc $rc)"; tr '\r' '\n' < "$W/$name.err" | grep -v '^\s*$' | tail -60; } >> "$OUT/stderr.log"
  # With --json the human lines are on stderr (stdout is only the JSON object).
  { grep -v '^{' "$W/$name.out"; tr '\r' '\n' < "$W/$name.err" | grep -v '^\s*$'; } | tail -5
  tail -1 "$W/$name.out" | grep '^{' > "$W/$name.json" || rm -f "$W/$name.json"
  if [ $rc -ne 0 ] || [ ! -f "$W/$name.json" ]; then echo "FAILED ($name, rc $rc):"; tr '\r' '\n' < "$W/$name.err" | tail -25; status=1; fi
}

step setup
source "$B/setup.sh"
tar xJf "$B/js.tar.xz"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export HANDOVER_FASHION_MNIST=/tmp/fmnist
mkdir -p "$HANDOVER_FASHION_MNIST"
for x in "$B"/fmnist/*.xz; do [ -f "$x" ] && xz -dc "$x" | gzip -1 > "$HANDOVER_FASHION_MNIST/$(basename "$x" .xz).gz"; done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$W/gpu.txt"
date -u +%Y-%m-%dT%H:%M:%SZ > "$W/date.txt"
H="node bin/handover.js"
FM="--dataset fashion-mnist --epochs $EPOCHS --effective-batch $BATCH --micro-batch $BATCH --lr $LR --momentum 0.9 --json"

if [ "$what" != webgpu ]; then
  step build:cuda
  node scripts/build-cuda.mjs --force > "$W/build.log" 2>&1 || { status=1; tail -30 "$W/build.log"; }
fi
# Batch-1 inference latency: PyTorch eager first (its JSON feeds the table), then handover with and without graphs.
infer_bench() {
  local m=
  for d in "${MODELS:-}" "$B/models" ../shared/models; do
    [ -n "$d" ] && [ -f "$d/squeezenet1_1.onnx" ] && { m=$d; break; }
  done
  if [ -z "$m" ]; then
    step "inference latency"
    echo "infer: squeezenet1_1.onnx not found in \$MODELS (${MODELS:-unset}), $B/models or ../shared/models: pack with --models or set MODELS"
    status=1
    return
  fi
  run infer-torch 600 python3 scripts/torch-infer-ref.py --models "$m" --runs "$IRUNS" --json "$OUT/infer-torch.json"
  run infer-cuda 600 node dist/src/bench/cuda-infer.js --models "$m" --runs "$IRUNS" --torch "$W/infer-torch.json" --json "$OUT/infer-cuda.json"
  sed -n '/^batch-1 latency/,/^$/p' "$W/infer-cuda.out" | grep '^[b|]' > "$W/infer-table.md"
  grep -h 'weights check' "$W/infer-torch.out" >> "$W/infer-table.md"
}

if [ "$what" = infer ]; then
  infer_bench
elif [ "$what" = gate ]; then  # only the gated/ungated training pairs
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
  infer_bench
fi
if [ "$what" = webgpu ] || [ "$what" = all ]; then
  run webgpu-handover 300 $H bench handover --backend webgpu --requires "$REQUIRES" --json
  run webgpu-arena 120 $H bench arena --backend webgpu --json
  run webgpu-arena-1g 120 $H bench arena --backend webgpu --mb 1024 --json
  run webgpu-digits 180 $H train --backend webgpu --dataset digits --epochs 10 --json
  run webgpu-digits-storm 180 $H train --backend webgpu --dataset digits --epochs 10 --storm 100 --json
fi

step "checks and table"
if [ "$what" = infer ]; then : > "$W/table.md"; else node scripts/bench-table.mjs "$W" > "$W/table.md" || status=1; fi
[ -s "$W/infer-table.md" ] && { echo; cat "$W/infer-table.md"; } >> "$W/table.md"
cat "$W/build.log" >> "$OUT/stdout.log" 2>/dev/null
cp "$W/table.md" "$OUT/table.md"
cat "$W/table.md"
exit $status
