#!/usr/bin/env bash
# The lead's one call for issue 21 when device time is short: the LLM comparison
# (scripts/device-llm.sh, one round of three systems and a second of two),
# REQUIRE-to-usable up to 4 GiB (scripts/device-require.sh), then a BURST check
# of the vision workload for handover and Infer-Only (scripts/device-eval.sh),
# each under its own time limit, in the order of that list. Each part's files
# come back as one archive ($OUT/llm.tgz, require.tgz, vision.tgz) beside
# their console logs (the tool brings back at most 8 files).
#
# Here: npm run build; NO_DAWN=1 EXTRA_DEPS= bash scripts/device-run.sh pack
# On the GPU machine (the `run` tool, carrying .device, .eval-data and the
# prebuilt addon): HANDOVER_PREBUILT_ADDON=1 bash scripts/device-lead.sh
# Knobs: LLM_BUDGET_S (280), LLM_S (40), ROUND2_S (35), REQ_SLOS (20,4),
# VISION_S (30), PARTS (llm,require,vision).
set -uo pipefail
cd "$(dirname "$0")/.."
R=${OUT:-$PWD/device-out}
mkdir -p "$R"
PARTS=${PARTS:-llm,require,vision}
has() { [[ ",$PARTS," == *",$1,"* ]]; }
pack() { tar czf "$R/$1.tgz" -C "$R" "$1" && rm -rf "${R:?}/$1"; }
first=1
ready() { if [ $first = 1 ]; then first=0; else export HANDOVER_DEVICE_READY=1; fi; }
if has llm; then
  ready
  OUT=$R/llm BUDGET_S=${LLM_BUDGET_S:-280} LLM_S=${LLM_S:-40} ROUND2_S=${ROUND2_S:-35} ROUND2_SYSTEMS=handover,infer-only \
    bash scripts/device-llm.sh > "$R/llm-console.log" 2>&1
  echo "llm rc $?" >> "$R/llm-console.log"; pack llm
fi
if has require; then
  ready
  OUT=$R/require SLOS=${REQ_SLOS:-20,4} REPS=${REPS:-8} T_EACH=${T_EACH:-90} bash scripts/device-require.sh > "$R/require-console.log" 2>&1
  echo "require rc $?" >> "$R/require-console.log"; pack require
fi
if has vision; then
  ready
  mkdir -p "$R/vision"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$R/vision/gpu.txt"
  OUT=$R/vision COLD_CHECK= RELOAD_BENCH= BUDGET_S=${VISION_BUDGET_S:-150} VISION_S=${VISION_S:-30} WARM_S=4 LLM_SYSTEMS= TRACES=burst \
    BURST_SYSTEMS=${LEAD_BURST_SYSTEMS:-infer-only,handover} bash scripts/device-eval.sh > "$R/vision-console.log" 2>&1
  echo "vision rc $?" >> "$R/vision-console.log"; pack vision
fi
