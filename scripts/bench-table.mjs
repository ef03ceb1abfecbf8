// The table of scripts/device-bench.sh: reads the JSON lines the commands
// printed (DIR/NAME.json), checks that each result is there and sane, marks
// the issues' targets met or missed, and prints a Markdown table.
// Exit status 1 when a result is missing or not sane (not when a target is missed).
//   node scripts/bench-table.mjs DIR
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? '.';
const load = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
};
const rows = [];
const problems = [];
const f = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const row = (what, value, target = '', met = null) => rows.push([what, value, target, met === null ? '' : met ? 'met' : '**missed**']);
const need = (name, ok, why) => {
  const j = load(name);
  if (!j) problems.push(`${name}: no result`);
  else if (!ok(j)) problems.push(`${name}: ${why}`);
  return j;
};
const positive = (v) => typeof v === 'number' && v > 0;
const mean = (xs) => xs.reduce((s, v) => s + v, 0) / xs.length;

const names = (re) => fs.readdirSync(dir).filter((n) => re.test(n)).map((n) => n.slice(0, -4)).sort();
for (const name of names(/^(cuda|webgpu)-handover.*\.out$/)) {
  const backend = name.split('-')[0];
  const h = need(name, (j) => j.handover?.n >= 200 && positive(j.p50Ms) && positive(j.naiveP50Ms), 'fewer than 200 handovers or no latencies');
  if (h) {
    const x = h.handover;
    const cfg = h.effectiveBatch && h.effectiveBatch !== h.microBatch ? `, E=${h.effectiveBatch}/b=${h.microBatch}` : h.microBatch ? `, E=b=${h.microBatch}` : '';
    const ratio = h.naive.meanMs / x.meanMs;
    row(`${backend}: require-to-usable (n=${x.n}, ${x.discards} discards${cfg})`, `p50 ${f(x.p50Ms, 3)} / p99 ${f(x.p99Ms, 3)} / max ${f(x.maxMs, 3)} / mean ${f(x.meanMs, 3)} ms`,
      backend === 'cuda' ? 'mean <= 2, p99 <= 5 ms' : '', backend === 'cuda' ? x.meanMs <= 2 && x.p99Ms <= 5 : null);
    row(`${backend}: handover phases at p50${cfg}`, `close ${f(x.closeP50Ms, 3)}, discard ${f(x.discardP50Ms, 3)}, reclaim+zero ${f(x.reclaimP50Ms, 3)} ms`);
    row(`${backend}: naive (wait for the step, fresh allocation, n=${h.naive.n}${cfg})`, `p50 ${f(h.naive.p50Ms)} / p99 ${f(h.naive.p99Ms)} / max ${f(h.naive.maxMs)} / mean ${f(h.naive.meanMs)} ms`);
    row(`${backend}: speedup over naive (p50 / mean${cfg})`, `${f(h.speedup, 1)}x / ${f(ratio, 1)}x`, backend === 'cuda' ? '>= 100x' : '', backend === 'cuda' ? h.speedup >= 100 : null);
  }
}
for (const name of names(/^(cuda|webgpu)-arena.*\.out$/)) {
  const backend = name.split('-')[0];
  const a = need(name, (j) => positive(j.zeroGBps) && positive(j.copyGBps), 'no bandwidth');
  if (a) {
    row(`${backend}: zero-fill vs device copy (${a.bytes / 2 ** 20} MiB)`, `${f(a.zeroGBps, 1)} vs ${f(a.copyGBps, 1)} GB/s (${f(a.zeroVsCopy)}x)`);
    row(`${backend}: gate close, 64 queued matmuls`, `p50 ${f(a.closeP50Ms, 3)} / p99 ${f(a.closeP99Ms, 3)} / max ${f(a.closeMaxMs, 3)} ms`);
  }
}

const runs = (prefix) => fs.readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.out')).map((n) => n.slice(0, -4)).sort();
const gated = runs('cuda-train-gated').map((n) => need(n, (j) => positive(j.samplesPerSec) && j.testAccuracy > 0.5, 'accuracy below 50%')).filter(Boolean);
const ungated = runs('cuda-train-ungated').map((n) => need(n, (j) => positive(j.samplesPerSec) && j.testAccuracy > 0.5, 'accuracy below 50%')).filter(Boolean);
const torch = fs.existsSync(path.join(dir, 'torch-mlp.out')) ? need('torch-mlp', (j) => positive(j.samplesPerSec), 'no samples/s') : null;
if (gated.length) {
  const g = mean(gated.map((j) => j.samplesPerSec));
  row(`cuda: Fashion-MNIST ${gated[0].epochs} epochs, gated (maxInFlight ${gated[0].maxInFlight}), ${gated.length} runs`,
    `${gated.map((j) => f(j.samplesPerSec, 0)).join(', ')} samples/s; test acc ${gated.map((j) => f(j.testAccuracy * 100)).join(', ')}%`);
  if (ungated.length) {
    const u = mean(ungated.map((j) => j.samplesPerSec));
    row(`cuda: same, ungated (maxInFlight ${ungated[0].maxInFlight}), ${ungated.length} runs`,
      `${ungated.map((j) => f(j.samplesPerSec, 0)).join(', ')} samples/s; test acc ${ungated.map((j) => f(j.testAccuracy * 100)).join(', ')}%`);
    const over = (u / g - 1) * 100;
    const pairs = gated.slice(0, ungated.length).map((j, i) => (ungated[i].samplesPerSec / j.samplesPerSec - 1) * 100).sort((a, b) => a - b);
    const med = pairs.length % 2 ? pairs[(pairs.length - 1) / 2] : (pairs[pairs.length / 2 - 1] + pairs[pairs.length / 2]) / 2;
    row('cuda: gate overhead (ungated / gated - 1): of the means; median of run pairs [range]', `${f(over)}%; ${f(med)}% [${f(pairs[0])}, ${f(pairs.at(-1))}]`, '<= 2%', over <= 2);
  }
  if (torch) {
    row(`PyTorch ${torch.torch} eager, same MLP, SGD momentum, batch ${torch.batch}`, `${f(torch.samplesPerSec, 0)} samples/s; test acc ${f(torch.testAccuracy * 100)}%`);
    row('cuda: training throughput vs PyTorch (gated mean)', `${f(g / torch.samplesPerSec)}x`, '>= 0.8x', g / torch.samplesPerSec >= 0.8);
    row('cuda: test accuracy minus PyTorch (points)', f((mean(gated.map((j) => j.testAccuracy)) - torch.testAccuracy) * 100));
  }
}
const d = fs.existsSync(path.join(dir, 'webgpu-digits.out')) ? need('webgpu-digits', (j) => j.testAccuracy >= 0.95, 'digits accuracy below 95%') : null;
const s = fs.existsSync(path.join(dir, 'webgpu-digits-storm.out')) ? need('webgpu-digits-storm', (j) => positive(j.testAccuracy), 'no accuracy') : null;
if (d) row('webgpu: digits 10 epochs, test accuracy', `${f(d.testAccuracy * 100)}% (${f(d.samplesPerSec, 0)} samples/s)`, '>= 95%', d.testAccuracy >= 0.95);
if (s)
  row(`webgpu: same with --storm ${s.storm ?? 100} (${s.handovers} handovers, ${s.discards} discards, b ${s.microBatchMin}..${s.microBatchMax})`,
    `${f(s.testAccuracy * 100)}% (${f(s.samplesPerSec, 0)} samples/s)`, 'within 1 point', d ? Math.abs(d.testAccuracy - s.testAccuracy) <= 0.01 : null);

const gpu = fs.existsSync(path.join(dir, 'gpu.txt')) ? fs.readFileSync(path.join(dir, 'gpu.txt'), 'utf8').trim() : '?';
const date = fs.existsSync(path.join(dir, 'date.txt')) ? fs.readFileSync(path.join(dir, 'date.txt'), 'utf8').trim() : '?';
console.log(`\n${gpu}, ${date}\n`);
console.log('| what | measured | target | |\n| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
for (const p of problems) console.log(`\nPROBLEM: ${p}`);
process.exit(problems.length ? 1 : 0);
