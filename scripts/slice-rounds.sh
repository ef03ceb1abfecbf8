#!/usr/bin/env bash
# Issue 16's acceptance runs on this kind of machine (2 cores, SwiftShader):
# the README's main command with three rounds on the quiet machine, then the
# same with one core taken by another process (a busy Node loop, killed
# after). Prints each run's table (every round of every system) and the load
# average before each. Needs dist/ (npm run build). Extra arguments go to both
# runs (e.g. --duration 20 for a quick look).
#   bash scripts/slice-rounds.sh [handover run flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SLICE_ROUNDS_OUT:-slice-rounds}
mkdir -p "$out"

table() { # report.json -> one line per system and round
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const rows = [];
    for (const [name, s] of Object.entries(r.systems))
      for (const x of s.rounds ?? [{ round: 1, sloCompliance: s.sloCompliance, p99Ms: s.p99Ms, trainSamplesPerSec: s.trainSamplesPerSec }])
        rows.push(`| ${name} | ${x.round} | ${(100 * x.sloCompliance).toFixed(1)}% | ${x.p99Ms.toFixed(1)} | ${x.trainSamplesPerSec.toFixed(0)} |`);
    console.log("| system | round | SLO compliance | P99 ms | training samples/s |\n| --- | ---: | ---: | ---: | ---: |\n" + rows.join("\n"));
  ' "$1"
}

run() { # label, extra args...
  local label=$1; shift
  echo "== $label: $(uptime)"
  node bin/handover.js run --trace burst --systems handover,sp75,taskswitch --duration 60 --repeat 3 --out "$out/$label" "$@" 2>&1 | tr '\r' '\n' | grep -v '^handover .*\[\|^sp75 .*\[\|^taskswitch .*\[' || true
  table "$out/$label/report.json"
}

run quiet "$@"

node -e 'for (;;) {}' &
busy=$!
trap 'kill "$busy" 2>/dev/null || true' EXIT
run one-core-busy "$@"
kill "$busy"
trap - EXIT
