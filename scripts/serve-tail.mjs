#!/usr/bin/env node
// Open-loop latency of `handover serve`: batch-1 requests (binary tensor
// extension) arrive at planned times, Poisson at a given rate (or, to show
// what a per-second rate limiter does, all of a second's requests at its
// start: autocannon's --overallRate sends each connection's quota back to
// back), and each latency counts from the planned arrival, so a server that
// falls behind is charged for it. Beside the client's p50/p99, the server's
// own stage histograms (/metrics handover_infer_stage_seconds: queue, slot,
// engine; with --train admit, window, run) say where the time went.
//
//   node scripts/serve-tail.mjs --model FILE.onnx [--backend cuda] [--rates 200,800] [--duration 5]
//     [--arrivals poisson|burst] [--models 1] [--flags "--max-runs 2"] [--train digits] [--label NAME]
//     [--standalone 30] [--arena-mb 2048] [--out FILE.json]
// --models N registers the file under N names and spreads requests over them round-robin.
// Prints one markdown table; --out writes the numbers as JSON.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { binaryRequest, startServe } from './serve-spawn.mjs';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' }, backend: { type: 'string', default: 'webgpu' }, rates: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' }, arrivals: { type: 'string', default: 'poisson' }, models: { type: 'string', default: '1' },
    flags: { type: 'string', default: '' }, train: { type: 'string' }, label: { type: 'string' }, standalone: { type: 'string', default: '30' },
    'arena-mb': { type: 'string', default: '256' }, connections: { type: 'string', default: '64' }, out: { type: 'string' }, seed: { type: 'string', default: '1' },
  },
});
if (!o.model) throw new Error('give --model FILE.onnx');
if (!['poisson', 'burst'].includes(o.arrivals)) throw new Error(`--arrivals is poisson or burst, got '${o.arrivals}'`);
const names = Array.from({ length: Number(o.models) }, (_, i) => `m${i}`);
const duration = Number(o.duration);

async function startServer() {
  const models = names.flatMap((n) => ['--model', `${n}=${o.model}`]);
  const extra = o.flags.split(' ').filter(Boolean);
  const s = await startServe(['--backend', o.backend, '--port', '0', '--arena-mb', o['arena-mb'], ...models, ...(o.train ? ['--train', o.train] : []), ...extra]);
  return { child: s.child, url: new URL(s.url) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Number(o.connections) });

/** One HTTP exchange; resolves with the status and body. */
function send(url, path, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method: body ? 'POST' : 'GET', headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function requestFor(url) {
  return binaryRequest(JSON.parse((await send(url, `/v2/models/${names[0]}`)).body.toString()));
}

const q = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] : NaN);

/** handover_infer_stage_seconds buckets by stage, summed over models: { stage: { le: count } , sums }. */
async function stages(url) {
  const text = (await send(url, '/metrics')).body.toString();
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^handover_infer_stage_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const st = (out[labels.stage] ??= { buckets: {}, sum: 0, count: 0 });
    if (m[1] === 'bucket') st.buckets[labels.le] = (st.buckets[labels.le] ?? 0) + Number(m[3]);
    else st[m[1]] += Number(m[3]);
  }
  return out;
}

/** Mean and p99 (bucket upper bound) per stage between two /metrics reads, ms. */
function stageDelta(a, b) {
  const r = {};
  for (const [stage, s] of Object.entries(b)) {
    const p = a[stage] ?? { buckets: {}, sum: 0, count: 0 };
    const n = s.count - p.count;
    if (n <= 0) continue;
    const les = Object.keys(s.buckets).filter((le) => le !== '+Inf').map(Number).sort((x, y) => x - y);
    const p99le = les.find((le) => s.buckets[String(le)] - (p.buckets[String(le)] ?? 0) >= 0.99 * n);
    r[stage] = { n, meanMs: (1000 * (s.sum - p.sum)) / n, p99Ms: p99le === undefined ? Infinity : 1000 * p99le };
  }
  return r;
}

async function standalone(url, req, n) {
  const t = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const r = await send(url, `/v2/models/${names[i % names.length]}/infer`, req.body, req.headers);
    if (r.status !== 200) throw new Error(`standalone request: ${r.status} ${r.body.toString().slice(0, 300)}`);
    if (i >= 3) t.push(performance.now() - t0);
  }
  return q(t.sort((a, b) => a - b), 0.5);
}

/** Planned arrival times (ms from the start) for `rate`/s over `duration` s. */
function arrivals(rate, seed) {
  const times = [];
  if (o.arrivals === 'burst') {
    for (let s = 0; s < duration; s++) for (let i = 0; i < rate; i++) times.push(s * 1000);
    return times;
  }
  let x = seed >>> 0 || 1;
  const u = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  for (let t = 0; ; ) {
    t += (-Math.log(u()) / rate) * 1000;
    if (t >= duration * 1000) return times;
    times.push(t);
  }
}

async function level(url, req, rate) {
  const plan = arrivals(rate, Number(o.seed) + rate);
  const before = await stages(url);
  const lat = [];
  let failed = 0;
  const t0 = performance.now() + 20;
  const pending = plan.map((at, i) => new Promise((resolve) => {
    setTimeout(async () => {
      try {
        const r = await send(url, `/v2/models/${names[i % names.length]}/infer`, req.body, req.headers);
        if (r.status === 200) lat.push(performance.now() - (t0 + at));
        else failed++;
      } catch {
        failed++;
      }
      resolve();
    }, Math.max(0, t0 + at - performance.now()));
  }));
  await Promise.all(pending);
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { rate, sent: plan.length, ok: lat.length, failed, servedPerS: lat.length / Math.max(wall, duration), p50: q(lat, 0.5), p99: q(lat, 0.99), max: lat.at(-1) ?? NaN, stages: stageDelta(before, await stages(url)) };
}

const label = o.label ?? `${o.train ? 'serve --train' : 'serve'}${o.flags ? ` ${o.flags}` : ''}${names.length > 1 ? `, ${names.length} models` : ''}`;
const s = await startServer();
const result = { label, model: o.model, backend: o.backend, arrivals: o.arrivals, date: new Date().toISOString(), durationS: duration, models: names.length, levels: [] };
try {
  const req = await requestFor(s.url);
  result.standaloneMs = await standalone(s.url, req, Number(o.standalone));
  for (const rate of o.rates.split(',').map(Number)) {
    const r = await level(s.url, req, rate);
    result.levels.push(r);
    console.error(`${label}: ${o.arrivals} ${rate}/s -> ${r.servedPerS.toFixed(1)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, failed ${r.failed}`);
  }
} finally {
  s.child.kill('SIGTERM');
}
const fmt = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '-');
const order = ['queue', 'slot', 'engine', 'admit', 'window', 'run'];
console.log(`| mode | arrivals | offered req/s | served req/s | standalone ms | p50 ms | p99 ms | max ms | failed | stage mean / p99 ms |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of result.levels) {
  const st = order.filter((k) => r.stages[k]).map((k) => `${k} ${fmt(r.stages[k].meanMs)} / ${fmt(r.stages[k].p99Ms)}`).join('; ');
  console.log(`| ${label} | ${o.arrivals} | ${r.rate} | ${r.servedPerS.toFixed(1)} | ${fmt(result.standaloneMs)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.failed} | ${st} |`);
}
if (o.out) writeFileSync(o.out, JSON.stringify(result, null, 2));
agent.destroy();
