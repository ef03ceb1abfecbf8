// Where a system's SLO violations come from (issue 16): plays a trace against
// one system of `handover run` (the same testbed, calibration and SLOs) and
// splits each request's latency into: fire lag (the arrival's timer fired late:
// the event loop was busy), admit (cold start: REQUIRE, load), wait for the
// device (training in flight when the request took the gate), and its own
// execution. Prints the misses grouped by their largest part.
// Needs dist/ (npx tsc -p tsconfig.json). Usage:
//   node scripts/slice-diagnose.mjs [system=handover] [durationS=20] [kind=burst] [timeScale=1]
import { monitorEventLoopDelay } from 'node:perf_hooks';
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { WebGpuDevice } = await d('devices/webgpu/device.js');
const { DEFAULT_TESTBED, buildTestbed } = await d('eval/testbed.js');
const { calibrate } = await d('eval/calibrate.js');
const { systemPolicy } = await d('sched/systems.js');
const { generateTrace } = await d('sched/traces.js');
const { drive, quantile, arrivalSleepFor } = await d('sched/driver.js');
const { loadDigits } = await d('train/data-node.js');

const [system = 'handover', dur = '20', kind = 'burst', scale = '1'] = process.argv.slice(2);
// MICRO_BATCH and SLICE_FRACTION override the testbed's (as --micro-batch and --slice-fraction do).
const spec = { ...DEFAULT_TESTBED, train: { ...DEFAULT_TESTBED.train, microBatch: Number(process.env.MICRO_BATCH ?? DEFAULT_TESTBED.train.microBatch) }, sliceFraction: Number(process.env.SLICE_FRACTION ?? DEFAULT_TESTBED.sliceFraction) };
const dev = await WebGpuDevice.open({ log: () => {} });
const timings = await calibrate(dev, spec);
const trace = generateTrace({ kind, seed: spec.seed, durationS: Number(dur) * Number(scale), models: spec.models, timeScale: Number(scale) });
console.log(`trace ${kind}: ${trace.arrivals.length} requests, rates ${trace.rates.map((r) => r.toFixed(1)).join(', ')}; SLOs ${timings.map((t) => t.sloMs.toFixed(1)).join(', ')} ms`);
const tuned = { tIdleMs: Number(process.env.T_IDLE_MS ?? 1000), watermarkBytes: Math.max(...timings.map((t) => Math.ceil(t.bytes / spec.pageBytes) * spec.pageBytes)) };
const bed = await buildTestbed(dev, systemPolicy(system, tuned), tuned, spec, loadDigits(spec.seed).train);
const sys = bed.system;
const sloOf = (m) => timings[bed.instances.find((x) => x.name === m).architecture].sloMs;
for (const m of bed.instances) sys.gate.slicing?.serve(m.name, sloOf(m.name));
// BURST_GAP_MS=0 switches the burst pause off (the comparison).
if (process.env.BURST_GAP_MS !== undefined && sys.gate.slicing) sys.gate.slicing.burstGapMs = Number(process.env.BURST_GAP_MS);
// REST_FRACTION and REST_MS set the rest window's slices (restFraction, restMs).
if (process.env.REST_FRACTION !== undefined && sys.gate.slicing) sys.gate.slicing.restFraction = Number(process.env.REST_FRACTION);
if (process.env.REST_MS !== undefined && sys.gate.slicing) sys.gate.slicing.restMs = Number(process.env.REST_MS);

// Submissions to the queue (every owner), counted per run below.
let submits = 0;
const queue = dev.gpu?.queue;
if (queue) { const submit = queue.submit.bind(queue); queue.submit = (b) => { submits++; return submit(b); }; }
// Instrument the request path: admit, the gate at hold time, the run.
const parts = new Map(); // model -> queue of open records (a model may have several requests in flight)
const open = (m) => parts.get(m)?.at(-1);
const now = () => performance.now();
const admit = sys.core.admit.bind(sys.core);
sys.core.admit = async (m, n) => {
  const rec = { start: now() };
  (parts.get(m) ?? parts.set(m, []).get(m)).push(rec);
  const a = await admit(m, n);
  rec.admitMs = now() - rec.start;
  rec.path = a.path;
  return a;
};
const run = sys.store.run.bind(sys.store);
sys.store.run = async (m, inputs) => {
  const rec = open(m);
  const t = now();
  if (rec) {
    rec.inFlight = sys.gate.running;
    rec.work = sys.gate.inFlightWork.map((w) => `${w.kernel}${w.rows === null ? '' : `[${w.rows}]`}`).join(' ');
    rec.sliced = sys.gate.sliced;
    rec.launched = sys.gate.launched;
    rec.trained = sys.trainer?.stats.samples ?? 0;
    rec.paused = sys.gate.paused;
    rec.othersRunning = [...parts.values()].flat().filter((r) => r !== rec && r.runStart !== undefined && r.runMs === undefined).length;
    rec.runStart = t;
    rec.zeroed0 = sys.arena?.zeroedBytes ?? 0;
    rec.submits0 = submits;
  }
  const out = await run(m, inputs);
  if (rec) { rec.runMs = now() - t; rec.zeroed = (sys.arena?.zeroedBytes ?? 0) - rec.zeroed0; rec.submits = submits - rec.submits0; }
  return out;
};
const lag = monitorEventLoopDelay({ resolution: 1 });
lag.enable();
const records = [];
const t0 = now();
// THREADS=1: CPU ticks of each thread of this process per second (main thread vs SwiftShader's workers), printed at the end.
const fsm = await import('node:fs');
const cpuLog = [];
const cpuTimer = process.env.THREADS ? setInterval(() => {
  const row = { t: (now() - t0) / 1000 };
  for (const tid of fsm.readdirSync('/proc/self/task')) {
    try {
      const st = fsm.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(process.pid) ? 'main' : name.replace(/\d+$/, '');
      row[key] = (row[key] ?? 0) + Number(f[11]) + Number(f[12]);
    } catch { /* thread gone */ }
  }
  // a fixed piece of host arithmetic, timed: slower when the core itself is (frequency, a neighbour), not when the process is busy
  const h0 = now();
  let x = 0;
  for (let i = 0; i < 300000; i++) x = (x * 1.0000001 + i) % 1e9;
  row.probeMs = now() - h0 + (x < 0 ? 1 : 0);
  cpuLog.push(row);
}, Number(process.env.THREADS)) : null;
const samples0 = sys.trainer?.stats.samples ?? 0;
const result = await drive(trace, sys.core, bed.instances.map((m) => m.name), async (m) => {
  const firedAt = now() - t0;
  const a = await sys.infer(m, bed.inputs.get(m));
  const rec = parts.get(m).shift();
  records.push({ model: m, firedAt, doneAt: now() - t0, ...rec, admission: a.admission });
  return a.admission;
}, { sloMs: Math.max(...timings.map((t) => t.sloMs)), tickMs: 50, sleep: arrivalSleepFor(dev) }); // the README path's wait
lag.disable();
if (cpuTimer) { clearInterval(cpuTimer); for (let i = 1; i < cpuLog.length; i++) { const a = cpuLog[i - 1], b = cpuLog[i]; console.log(`cpu t=${b.t.toFixed(1)} probe ${b.probeMs.toFixed(2)} ms ` + Object.keys(b).filter((k) => k !== 't' && k !== 'probeMs').map((k) => `${k} ${(b[k] - (a[k] ?? 0))}`).join(' ')); } }
const trainS = ((sys.trainer?.stats.samples ?? 0) - samples0) / (result.wallMs / 1000);
const { pauses, launched, slices } = sys.gate;
const sp = sys.gate.slicing; if (sp) console.log(`slicing: budget ${sp.budgetMs.toFixed(2)} ms, submit ${sp.model.submitMs.toFixed(2)} ms, host ${sp.model.hostMs.toFixed(2)} ms, slice work ${sp.sliceWorkMs.toFixed(2)} ms, on queue ${sp.slicesOnQueue}`);
console.log(`core ${JSON.stringify(sys.core.stats)}; memoryBound ${sys.trainer?.memoryBound}; trainLimit ${bed.system.arena?.trainLimit} pages ${bed.system.arena?.pageCount}`);
if (process.env.EVENTS) for (const e of sys.core.log.all().slice(0, Number(process.env.EVENTS))) console.log(`  ev ${(e.t ?? e.at ?? 0).toFixed?.(0)} ${e.kind} ${e.model ?? ""} ${e.bytes ?? ""} ${e.reason ?? ""}`);
await sys.destroy();

const q = (xs, p) => (xs.length ? quantile([...xs].sort((a, b) => a - b), p) : NaN);
// Join the driver's records (arrival, latency) with the parts, in arrival order.
records.sort((a, b) => a.firedAt - b.firedAt);
// The driver's clock starts a little after this script's t0: the offset is what its done times lag ours.
const offset = q(result.records.map((r, i) => records[i].doneAt - r.doneMs), 0.5);
const rows = result.records.map((r, i) => {
  const p = records[i];
  const fire = p.firedAt - offset - r.arrivalMs;
  const device = p.othersRunning > 0 || p.inFlight > 0 ? 'behind ' + (p.inFlight > 0 ? 'training' : 'requests') : '';
  return { ...r, slo: sloOf(r.model), fire, admit: p.admitMs, run: p.runMs, rest: r.latencyMs - fire - p.admitMs - p.runMs, zeroed: p.zeroed, submits: p.submits, inFlight: p.inFlight, launched: p.launched, trained: p.trained, paused: p.paused, work: p.work, sliced: p.sliced, others: p.othersRunning, device };
});
// DUMP=file writes every request's parts (JSON) for comparisons across runs whose calibrated SLOs differ.
if (process.env.DUMP) (await import('node:fs')).writeFileSync(process.env.DUMP, JSON.stringify(rows));
const miss = rows.filter((r) => r.latencyMs > r.slo || r.path === 'failed');
const f = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));
console.log(`${system}: ${rows.length} requests, ${(100 * (1 - miss.length / rows.length)).toFixed(1)}% in SLO, P99 ${f(result.p99Ms)} ms, train ${trainS.toFixed(0)} samples/s; event-loop delay p50 ${f(lag.percentile(50) / 1e6)} p99 ${f(lag.percentile(99) / 1e6)} max ${f(lag.max / 1e6)} ms`);
for (const [name, pick] of [['fire lag', (r) => r.fire], ['admit', (r) => r.admit], ['run', (r) => r.run], ['rest', (r) => r.rest]])
  console.log(`  ${name.padEnd(8)} all p50 ${f(q(rows.map(pick), 0.5))} p99 ${f(q(rows.map(pick), 0.99))} | misses p50 ${f(q(miss.map(pick), 0.5))} max ${f(Math.max(...miss.map(pick)))}`);
const cause = (r) => {
  const c = { 'fire lag': r.fire, admit: r.admit, run: r.run, rest: r.rest };
  return Object.entries(c).sort((a, b) => b[1] - a[1])[0][0];
};
const by = new Map();
for (const r of miss) by.set(cause(r), (by.get(cause(r)) ?? 0) + 1);
console.log(`  misses by largest part: ${[...by].map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`  misses with training in flight at run start: ${miss.filter((r) => r.inFlight > 0).length}; with other requests running: ${miss.filter((r) => r.others > 0).length}; cold: ${miss.filter((r) => r.coldStart).length}`);
const all = rows.filter((r) => r.inFlight > 0).length;
console.log(`  all requests with training in flight at run start: ${all}; cold: ${rows.filter((r) => r.coldStart).length}; gate pauses ${pauses}, launches ${launched}, slices ${slices}`);
if (process.env.VERBOSE) for (const r of miss) console.log(`  miss t=${(r.arrivalMs / 1000).toFixed(2)}s ${r.model} lat ${f(r.latencyMs)} slo ${f(r.slo)} fire ${f(r.fire)} admit ${f(r.admit)} (${r.path}) run ${f(r.run)} rest ${f(r.rest)} inflight ${r.inFlight} [${r.work}] sliced ${r.sliced} others ${r.others}`);
dev.destroy();
