#!/usr/bin/env bash
# Issue 20 on the GPU machine, in one call of the `run` tool (carry .device):
#   pollution  10^5 randomized require / release / discard / load / unload /
#              train / run operations on one CUDA arena with canary words read
#              back from GPU memory (src/bench/pollution.ts): prints the
#              pollution and corruption counts, isolated models and shared
#              models (the default arena), and exits non-zero if either is not 0.
#   soak [S]   `handover serve` with training beside it (digits MLP, handover
#              policy) driven by the Azure LLM trace over loopback HTTP for S
#              seconds (default 300; the device allows 10 minutes a call),
#              sampling RSS, arena pages, open handles (src/bench/soak.ts).
# Here, once per change (after `cp -r /work/main/.device .` or ../shared/device/pack.sh .device):
#   bash scripts/device-pollution.sh pack
# There:
#   bash scripts/device-pollution.sh                 # pollution only
#   bash scripts/device-pollution.sh pollution soak 300
# Knobs: OPS (default 100000), SEED (1), PAGES (64 pages of 2 MiB), TIME_SCALE (12).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = pack ]; then
  set -e
  NO_DAWN=1 bash scripts/device-run.sh pack
  # The Azure trace comes from a public repository: carried in the ignored .device, never committed.
  [ -f ../shared/data/azure-llm-inference-2023-conv.csv.gz ] && cp ../shared/data/azure-llm-inference-2023-conv.csv.gz .device/
  du -sh .device
  exit 0
fi

args=" ${*:-pollution} "
has() { [[ $args == *" $1 "* ]]; }
soak_s=300
[[ $args =~ \ soak\ ([0-9]+)\  ]] && soak_s=${BASH_REMATCH[1]}

source scripts/device-setup.sh
[ "$status" = 0 ] || exit 1

if has pollution; then
  for mode in isolated shared; do
    step "pollution: ${OPS:-100000} operations, $mode models"
    extra=(); [ $mode = shared ] && extra=(--shared-models)
    timeout 400 node dist/src/bench/pollution.js --backend cuda --ops "${OPS:-100000}" --seed "${SEED:-1}" --pages "${PAGES:-64}" "${extra[@]}" \
      > "$OUT/pollution-$mode.json" 2> "$OUT/pollution-$mode.log" || status=1
    cat "$OUT/pollution-$mode.json"; grep -v '^\s*$' "$OUT/pollution-$mode.log" | tail -3
  done
fi

if has soak; then
  step "soak: serve + train, Azure trace, ${soak_s} s"
  timeout $((soak_s + 120)) node dist/src/bench/soak.js --backend cuda --duration-s "$soak_s" --interval-s 15 --time-scale "${TIME_SCALE:-12}" \
    --arena-mb 4096 --train digits --trace-file .device/azure-llm-inference-2023-conv.csv.gz \
    --model squeezenet=test/fixtures/squeezenet1_1.onnx --model gpt=test/fixtures/tiny_gpt.onnx \
    > "$OUT/soak.json" 2> "$OUT/soak.log" || status=1
  grep '^soak ' "$OUT/soak.log" | sed -n '1p;$p'; grep -v '^soak \|^\s*$' "$OUT/soak.log" | tail -5
  cat "$OUT/soak.json"
fi
exit $status
