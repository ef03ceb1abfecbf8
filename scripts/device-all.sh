#!/usr/bin/env bash
# Issues 5 and 7 on the GPU machine in two calls of the `run` tool (carry .device).
# Here, once per change (after ../shared/device/pack.sh .device):
#   bash scripts/device-all.sh pack     # bundle with vitest and onnxruntime-node, no dawn.node; optests beside it
# There:
#   bash scripts/device-all.sh check    # build; CUDA tests; the op/model/trainer suites on CUDA;
#                                       # optest on CUDA; batch-1 latency vs PyTorch; green contexts
#   bash scripts/device-all.sh colocate # NCCL (one rank here); BURST on CUDA, MLPs and vision models
#   bash scripts/device-all.sh confine  # green-context tests; BURST (vision) for handover with training
#                                       # on all SMs vs confined while inference runs: SHARES (default "1 0.5 0.25"),
#                                       # ROUNDS interleaved rounds (default 1); NO_TESTS=1 skips the tests
#   bash scripts/device-all.sh llm      # the LLM run (handover, SP-50, SP-75, Infer-Only) on CUDA; the Azure
#                                       # trace from .device/azure-llm-inference-2023-conv.csv.gz (copied by pack)
# Several phases in one call: bash scripts/device-all.sh confine llm
# The models: the repo's fixtures (squeezenet1_1, tiny_gpt, tiny_gpt_kv) and
# mobilenet_v2 re-exported there by scripts/models/export_vision.py (seeded);
# scripts/weights-hash.mjs shows its weights equal ../shared/models' file.
set -uo pipefail
cd "$(dirname "$0")/.."
MOBILENET_SHA=9666387257e18e51b3a0cda35e14540b5d393405174a96ec90694f38f72f89db

if [ "${1:-}" = pack ]; then
  set -e
  # Without dawn.node (these calls run CUDA only): the carry limit is 64 MiB.
  NO_DAWN=1 WITH_ORT=1 bash scripts/device-run.sh pack
  rm -rf .device/optests; [ -d ../shared/optests ] && cp -r ../shared/optests .device/optests
  # The Azure trace comes from a public repository: carried in the ignored .device, never committed.
  [ -f ../shared/data/azure-llm-inference-2023-conv.csv.gz ] && cp ../shared/data/azure-llm-inference-2023-conv.csv.gz .device/
  du -sh .device
  exit 0
fi

phases=" ${*:-check} "   # one or more phases, in this order: check confine colocate llm
has() { [[ $phases == *" $1 "* ]]; }
clean() { sed 's/\x1b\[[0-9;]*m//g'; }
vt() { # name, files...: vitest, summary lines only
  local name=$1; shift
  step "$name"
  timeout 900 node node_modules/vitest/vitest.mjs run "$@" > "$OUT/$name.log" 2>&1
  clean < "$OUT/$name.log" | grep -E "✗|×|FAIL|skipped:|Test Files|Tests |Error:" | head -40
  grep -q "failed" "$OUT/$name.log" && status=1
}

source scripts/device-setup.sh
[ "$status" = 0 ] || exit 1
mkdir -p ../shared/models ../shared/optests
[ -d .device/optests ] && cp -r .device/optests/. ../shared/optests/
M=/tmp/handover-models
if [ ! -s "$M/mobilenet_v2.onnx" ]; then
  mkdir -p "$M" && cp scripts/models/*.py "$M/"
  (cd "$M" && OUT="$M" timeout 300 python3 export_vision.py > "$OUT/export.log" 2>&1) || echo "export_vision.py failed: $(tail -3 "$OUT/export.log")"
  cp test/fixtures/*.onnx "$M/"   # the shared files themselves (squeezenet re-exported above is replaced by the original)
fi
cp "$M/mobilenet_v2.onnx" ../shared/models/ 2>/dev/null
sha=$(node scripts/weights-hash.mjs "$M/mobilenet_v2.onnx" | cut -d' ' -f1)
[ "$sha" = "$MOBILENET_SHA" ] && echo "mobilenet_v2 re-exported: weights equal ../shared/models/mobilenet_v2.onnx" \
  || echo "mobilenet_v2 re-exported: weights DIFFER from ../shared/models (sha $sha)"

if has check; then
  vt cuda-tests test/cuda-build.test.ts test/cuda-device.test.ts test/cuda-kernels.test.ts test/cuda-graphs.test.ts test/cuda-green.test.ts
  export HANDOVER_TEST_BACKEND=cuda
  vt ops-on-cuda test/kernels.test.ts test/ops-elementwise.test.ts test/ops-tensor.test.ts test/ops-nn.test.ts \
    test/ops-nn-large.test.ts test/infer-tensor-kernels.test.ts test/infer-models.test.ts
  vt core-on-cuda test/arena.test.ts test/gate.test.ts test/trainer.test.ts test/infer-store.test.ts test/llm-generate.test.ts test/llm-kv-cache.test.ts
  unset HANDOVER_TEST_BACKEND
  step "optest on CUDA"
  timeout 300 node bin/handover.js optest ../shared/optests --backend cuda --json > "$OUT/optest.log" 2>&1; tail -1 "$OUT/optest.log"
  grep -E "FAIL|fail " "$OUT/optest.log" | head -20
  step "batch-1 latency: PyTorch eager"
  timeout 300 python3 scripts/torch-infer-ref.py --models "$M" --runs 200 --json "$OUT/infer-torch.json" > "$OUT/infer-torch.log" 2>&1
  grep -v '^{' "$OUT/infer-torch.log" | tail -8
  step "batch-1 latency: handover on CUDA"
  timeout 300 node dist/src/bench/cuda-infer.js --models "$M" --runs 200 --torch "$OUT/infer-torch.json" --json "$OUT/infer-cuda.json" > "$OUT/infer-cuda.log" 2>&1 || status=1
  grep -v '^{' "$OUT/infer-cuda.log" | tail -14
  step "green contexts"
  timeout 240 node dist/src/bench/cuda-green.js --json "$OUT/green.json" > "$OUT/green.log" 2>&1 || status=1
  tail -16 "$OUT/green.log"
fi

burst() { # name, extra args...: BURST on CUDA with the vision models, 16 instances
  local name=$1; shift
  timeout 420 node bin/handover.js run --backend cuda --trace burst --duration "${DURATION:-30}" --max-in-flight 4 --out "$OUT/$name" --json \
    --model-file "$M/squeezenet1_1.onnx" --model-file "$M/mobilenet_v2.onnx" --models 16 --page-kib 2048 --arena-pages 160 \
    --workspace-pages 24 --train-layers 64-1024-1024-10 --micro-batch 8192 "$@" > "$OUT/$name.log" 2>&1 || status=1
  grep -vE '\[[#.]+\]' "$OUT/$name.log" | tail -8 | cut -c1-400
}

if has confine; then
  if [ -z "${NO_TESTS:-}" ]; then
    vt confine-tests test/cuda-green.test.ts test/cuda-device.test.ts
    grep -h "cuda-green:" "$OUT/confine-tests.log" | head -4
  fi
  for round in $(seq "${ROUNDS:-1}"); do
    for share in ${SHARES:-1 0.5 0.25}; do
      step "BURST on CUDA (vision), handover, --train-share $share, round $round"
      burst "confine-$share-r$round" --systems handover --train-share "$share"
    done
  done
fi

if has colocate; then
  if [ -z "${NO_NCCL:-}" ]; then
    vt nccl test/dist-nccl.test.ts
    step "train-dist, one rank (NCCL path)"
    timeout 120 node bin/handover.js train-dist --gpus 1 --steps "${STEPS:-150}" --json > "$OUT/dist1.log" 2>&1 || status=1
    tail -3 "$OUT/dist1.log" | cut -c1-600
  fi
  for cfg in ${CONFIGS:-mlp vision}; do
    step "BURST on CUDA ($cfg)"
    if [ $cfg = mlp ]; then extra=(--page-kib 2048 --arena-pages 96 --workspace-pages 2 --models 16 --train-layers 64-1024-1024-10 --micro-batch 4096)
    else burst burst-vision --systems "${SYSTEMS:-handover,naive,sp50,sp75,taskswitch,infer-only}"; continue; fi
    timeout 420 node bin/handover.js run --backend cuda --trace burst --systems "${SYSTEMS:-handover,naive,sp50,sp75,taskswitch,infer-only}" \
      --duration "${DURATION:-30}" --max-in-flight 4 --out "$OUT/burst-$cfg" --json "${extra[@]}" > "$OUT/burst-$cfg.log" 2>&1 || status=1
    grep -vE '\[[#.]+\]' "$OUT/burst-$cfg.log" | tail -12 | cut -c1-400
  done
fi
if has llm; then
  step "LLM run on CUDA (Azure trace)"
  trace=.device/azure-llm-inference-2023-conv.csv.gz
  if [ -f "$trace" ]; then
    timeout 540 node bin/handover.js run --workload llm --backend cuda --trace-file "$trace" --systems handover,sp50,sp75,infer-only \
      --duration "${LLM_DURATION:-45}" --time-scale "${TIME_SCALE:-2}" --out "$OUT/llm" --json > "$OUT/llm.log" 2>&1 || status=1
    grep -vE '\[[#.]+\]' "$OUT/llm.log" | tail -14 | cut -c1-400
  else echo "no $trace: run 'bash scripts/device-all.sh pack' with ../shared/data beside the repo"; fi
fi
step done
exit $status
