#!/usr/bin/env bash
# Data-parallel training over every GPU of the machine, in one call: build the
# addon (with nccl.cpp), run the NCCL tests and the three benchmarks of issue #7,
# print the table last. Runs on 1 GPU too (one NCCL rank; scaling row for 1 GPU).
#
# Here, once per change:   bash scripts/device-run.sh pack     (tsc -> dist/, bundle in .device/)
# On the GPU machine (carry .device):
#   bash scripts/device-multigpu.sh          # logs and JSON under $OUT (or ./device-out)
#   STEPS=400 bash scripts/device-multigpu.sh   # shorter runs
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/device-setup.sh
N=$(nvidia-smi -L | wc -l)
nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader | tee "$OUT/gpus.txt"
nvidia-smi topo -m > "$OUT/topo.txt" 2>&1 || true
STEPS=${STEPS:-1000}
echo "GPUs: $N, steps per run: $STEPS"


step "NCCL and protocol tests"
HANDOVER_TEST_GPUS=$N node node_modules/vitest/vitest.mjs run test/dist-nccl.test.ts test/dist-multiprocess.test.ts 2>&1 \
  | sed 's/\x1b\[[0-9;]*m//g' | tee "$OUT/dist-tests.log" | grep -vE '^ *✓' | tail -30
grep -qE "failed|dist-nccl: skipped" "$OUT/dist-tests.log" && status=1   # NCCL must run here

run() { # name, flags...
  local name=$1; shift
  step "$name: train-dist $*"
  node bin/handover.js train-dist --steps "$STEPS" --json "$@" 2>&1 | tee "$OUT/$name.log" | grep -v '^{' ; tail -1 "$OUT/$name.log" > "$OUT/$name.json"
  grep -q '^{' "$OUT/$name.json" || { echo "$name: no JSON result"; status=1; }
}

# 1. Handover latency on each GPU while all train (LIGHT inference on every GPU): agreement vs naive.
run latency-agreement --gpus "$N" --load light --time-scale 4 --mode agreement
run latency-naive --gpus "$N" --load light --time-scale 4 --mode naive
# 2. Throughput with GPU 0 under HEAVY inference and the others LIGHT, with and without redistribution.
run heavy-redistribute --gpus "$N" --load heavy-light --redistribute
run heavy-even --gpus "$N" --load heavy-light --redistribute=false
# 3. Scaling, no inference: 1 GPU vs all (the all-GPU run also measures ncclCommAbort + re-init once).
run scale-1 --gpus 1
run scale-all --gpus "$N" --reinit-at 10

step summary
node --input-type=module - "$OUT" <<'JS'
import fs from 'node:fs';
const dir = process.argv[2];
const read = (n) => { try { return JSON.parse(fs.readFileSync(`${dir}/${n}.json`, 'utf8')); } catch { return null; } };
const f = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
console.log('| run | GPUs | load | mode | redistribute | samples/s | identical | per-GPU handover p50 / p99 ms | per-GPU share of E | abort + re-init ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const n of ['latency-agreement', 'latency-naive', 'heavy-redistribute', 'heavy-even', 'scale-1', 'scale-all']) {
  const r = read(n);
  if (!r) { console.log(`| ${n} | failed | | | | | | | | |`); continue; }
  const lat = r.ranks.map((k) => `${f(k.handoverP50Ms)} / ${f(k.handoverP99Ms)} (${k.handovers})`).join('; ');
  const abort = r.abortMs === null ? '-' : `${f(r.abortMs, 1)} + ${f(r.reinitMs, 1)}`;
  console.log(`| ${n} | ${r.gpus} | ${r.load} | ${r.mode} | ${r.redistribute} | ${f(r.samplesPerSec, 0)} | ${r.identical} | ${lat} | ${r.ranks.map((k) => k.lastShares).join('/')} | ${abort} |`);
}
const one = read('scale-1'), all = read('scale-all');
if (one && all) console.log(`\nscaling: ${all.gpus} GPU(s) ${f(all.samplesPerSec / one.samplesPerSec)}x of 1 GPU`);
JS
exit $status
