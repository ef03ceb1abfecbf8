#!/usr/bin/env node
// Load test of `handover serve` on loopback with autocannon: batch-1
// requests (binary tensor extension) to one model at increasing offered
// rates, with dynamic batching off (--max-batch 1) and on (--max-batch B
// --max-queue-delay-ms D). The reference is the standalone latency L (the
// median of sequential requests to an idle server, batching off, measured in
// the same run); the figure of merit is the throughput reached while p99
// stays within 4 L, with no failed request.
//
//   node scripts/serve-load.mjs --model test/fixtures/squeezenet1_1.onnx \
//     [--backend webgpu|cuda] [--rates 5,10,20] [--duration 10] [--connections 32]
//     [--batch 8] [--delay-ms 2] [--standalone 20] [--arena-mb 256] [--out FILE.json]
//     [--closed 1,4]   closed loop at these connection counts instead of offered rates
//                      (autocannon's rates start at 1/s: for a device slower than that)
// Prints a markdown table; --out also writes the numbers as JSON.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { binaryRequest, startServe } from './serve-spawn.mjs';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' }, backend: { type: 'string', default: 'webgpu' }, rates: { type: 'string', default: '5,10,20,40' },
    duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, batch: { type: 'string', default: '8' },
    'delay-ms': { type: 'string', default: '2' }, standalone: { type: 'string', default: '20' }, 'arena-mb': { type: 'string', default: '256' },
    out: { type: 'string' }, closed: { type: 'string' },
  },
});
if (!o.model) throw new Error('give --model FILE.onnx');
/** Each load level: an offered rate (open loop, capped by the connections) or a connection count (closed loop). */
const levels = o.closed ? o.closed.split(',').map((c) => ({ connections: Number(c), rate: undefined, label: `closed, ${c} conn` }))
  : o.rates.split(',').map((r) => ({ connections: Number(o.connections), rate: Number(r), label: r }));
const duration = Number(o.duration);

function startServer(flags) {
  return startServe(['--backend', o.backend, '--port', '0', '--arena-mb', o['arena-mb'], '--model', `m=${o.model}`, ...flags]);
}

async function requestFor(url) {
  return binaryRequest(await (await fetch(`${url}/v2/models/m`)).json());
}

async function standaloneMs(url, req, n) {
  const times = [];
  for (let i = 0; i < n + 2; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/v2/models/m/infer`, { method: 'POST', body: req.body, headers: req.headers });
    if (res.status !== 200) throw new Error(`standalone request: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    if (i >= 2) times.push(performance.now() - t0); // two warm-up runs (plans, pipelines)
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function load(url, req, level) {
  return new Promise((resolve, reject) => {
    autocannon({
      url: `${url}/v2/models/m/infer`, method: 'POST', body: req.body, headers: req.headers,
      connections: level.connections, duration, timeout: 120, ...(level.rate ? { overallRate: level.rate } : {}),
    }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}

const modes = [
  { name: 'batching off', flags: ['--max-batch', '1'] },
  { name: `dynamic batching (max ${o.batch}, delay ${o['delay-ms']} ms)`, flags: ['--max-batch', o.batch, '--max-queue-delay-ms', o['delay-ms']] },
];
const result = { model: o.model, backend: o.backend, date: new Date().toISOString(), durationS: duration, connections: Number(o.connections), modes: [] };
let L;
for (const mode of modes) {
  const s = await startServer(mode.flags);
  try {
    const req = await requestFor(s.url);
    L ??= await standaloneMs(s.url, req, Number(o.standalone));
    if (result.modes.length > 0) await standaloneMs(s.url, req, 1); // warm this server's plans
    const rows = [];
    for (const level of levels) {
      const r = await load(s.url, req, level);
      const ok = r['2xx'];
      rows.push({ offered: level.label, throughput: ok / duration, p50: r.latency.p50, p99: r.latency.p99, ok, failed: r.non2xx + r.errors + r.timeouts });
      console.error(`${mode.name}: offered ${level.label} -> ${(ok / duration).toFixed(2)}/s, p99 ${r.latency.p99} ms, failed ${r.non2xx + r.errors + r.timeouts}`);
    }
    const within = rows.filter((x) => x.p99 <= 4 * L && x.failed === 0 && x.ok > 0);
    result.modes.push({ name: mode.name, flags: mode.flags, rows, bestWithinSlo: within.length ? Math.max(...within.map((x) => x.throughput)) : 0 });
  } finally {
    s.child.kill('SIGTERM');
  }
}
result.standaloneMs = L;
result.sloMs = 4 * L;

console.log(`\n${o.model} on ${o.backend}, ${result.date}: standalone latency L = ${L.toFixed(2)} ms (median, idle server, batch 1); SLO p99 <= 4 L = ${(4 * L).toFixed(1)} ms; ${duration} s per level, ${o.closed ? 'closed loop' : `${o.connections} connections`}\n`);
console.log('| mode | offered req/s | served req/s | p50 ms | p99 ms | failed |');
console.log('|---|---|---|---|---|---|');
for (const m of result.modes) for (const x of m.rows) console.log(`| ${m.name} | ${x.offered} | ${x.throughput.toFixed(2)} | ${x.p50} | ${x.p99} | ${x.failed} |`);
console.log('');
for (const m of result.modes) console.log(`${m.name}: throughput within p99 <= 4 L: ${m.bestWithinSlo.toFixed(2)} req/s`);
const [off, on] = result.modes;
if (off.bestWithinSlo > 0) console.log(`dynamic batching / off: ${(on.bestWithinSlo / off.bestWithinSlo).toFixed(2)}x`);
if (o.out) writeFileSync(o.out, JSON.stringify(result, null, 2));
