// The soak: `handover serve` with training beside it (the handover policy),
// driven over loopback HTTP by the Azure LLM conversation trace's arrivals
// (open loop, time compressed), for a given duration. Every interval it
// samples the process's RSS, the arena's pages by owner, the open handles
// and connections, and what was answered; at the end it prints one JSON line
// with start, end and peak of each, so a leak shows as a slope.
//
//   node dist/src/bench/soak.js --backend cuda --duration-s 540 --model sq=/path/squeezenet1_1.onnx [--model ...]
//     [--trace-file F] [--time-scale 12] [--train digits] [--interval-s 10] [--arena-mb 2048] [--max-in-flight 256]
import { Arena } from '../core/arena.js';
import { UsageError } from '../core/errors.js';
import { ModelStore } from '../infer/store.js';
import { parseModel } from '../onnx/loader.js';
import { randomInputs } from '../infer/random-inputs.js';
import { V2_DATATYPE } from '../serve/tensors.js';
import type { TensorData } from '../infer/convert.js';
import { loadAzureTrace } from '../sched/azure.js';
import { createServer } from '../serve/server.js';
import { startServeTraining } from '../colocate/serve-training.js';
import { seeded } from '../train/data.js';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface SoakOptions {
  backend: string;
  durationS: number;
  models: { name: string; file: string }[];
  traceFile?: string;
  timeScale: number;
  train?: string;
  intervalS: number;
  arenaMb: number;
  maxInFlight: number;
}

export interface SoakSample {
  t: number;
  rssMb: number;
  heapMb: number;
  trainPages: number;
  inferPages: number;
  freePages: number;
  handles: number;
  connections: number;
  answered: number;
  inFlight: number;
}

export async function runSoak(o: SoakOptions, log: (line: string) => void): Promise<Record<string, unknown>> {
  const { openDevice } = await import('../cli/open-device.js');
  const device = await openDevice(o.backend, log);
  const arena = new Arena(device, { bytes: o.arenaMb << 20 });
  const store = new ModelStore(arena);
  const payloads = new Map<string, string>();
  const r = seeded(20);
  for (const m of o.models) {
    if (!o.train) store.register(m.name, m.file);
    const g = parseModel(readFileSync(m.file), m.file);
    const inputs = randomInputs(g, () => 1, r);
    payloads.set(m.name, JSON.stringify({ inputs: Object.entries(inputs).map(([name, t]) => encodeTensorForRequest(name, t)) }));
    if (!o.train) await store.load(m.name);
  }
  const training = o.train ? await startServeTraining(arena, o.models, { dataset: o.train, microBatch: 256, tIdleMs: 5000 }) : null;
  const models = training ? training.system.store : store;
  const app = createServer({ store: training?.store ?? store, arena, maxConcurrentRuns: 1 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const trace = loadAzureTrace({ path: o.traceFile, timeScale: o.timeScale, durationS: o.durationS * o.timeScale, models: o.models.length });
  const status = new Map<number, number>();
  const latencies: number[] = [];
  let inFlight = 0;
  let answered = 0;
  let skipped = 0;
  let failed = 0;
  const send = async (model: string) => {
    if (inFlight >= o.maxInFlight) return void skipped++;
    inFlight++;
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payloads.get(model)! });
      await res.arrayBuffer();
      status.set(res.status, (status.get(res.status) ?? 0) + 1);
      if (res.status === 200) latencies.push(performance.now() - t0);
      answered++;
    } catch {
      failed++;
    } finally {
      inFlight--;
    }
  };

  const samples: SoakSample[] = [];
  const start = performance.now();
  const sample = async () => {
    const mem = process.memoryUsage();
    const s = arena.stats();
    const connections = await new Promise<number>((res) => app.server.getConnections((_e, n) => res(n ?? 0)));
    const x: SoakSample = {
      t: Math.round((performance.now() - start) / 1000), rssMb: mb(mem.rss), heapMb: mb(mem.heapUsed),
      trainPages: s.train, inferPages: s.infer, freePages: s.free, handles: process.getActiveResourcesInfo().length, connections, answered, inFlight,
    };
    samples.push(x);
    log(`soak t=${x.t}s rss=${x.rssMb} MiB heap=${x.heapMb} MiB pages train/infer/free=${x.trainPages}/${x.inferPages}/${x.freePages} handles=${x.handles} connections=${x.connections} answered=${x.answered} in-flight=${x.inFlight}`);
  };
  await sample();
  const timer = setInterval(() => void sample(), o.intervalS * 1000);
  const pending: Promise<void>[] = [];
  for (const a of trace.arrivals) {
    const wait = a.t * 1000 - (performance.now() - start);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    pending.push(send(o.models[a.model % o.models.length]!.name));
    if (pending.length > 4096) pending.splice(0, pending.length - 4096);
  }
  const left = o.durationS * 1000 - (performance.now() - start);
  if (left > 0) await new Promise((res) => setTimeout(res, left));
  await Promise.all(pending);
  clearInterval(timer);
  await sample();
  // Once idle keep-alive connections have timed out (5 s), what is still open is a leak.
  await new Promise((res) => setTimeout(res, 6000));
  await sample();
  await app.close();
  const t = training?.system.trainer;
  const trainerStats = t ? { samples: t.stats.samples, discards: t.stats.discards, requires: t.handovers.length } : null;
  if (training) await training.stop();
  else for (const m of o.models) if (models.get(m.name)?.state === 'warm') await models.unload(m.name);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => (latencies.length ? +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1) : null);
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const peak = (k: keyof SoakSample) => Math.max(...samples.map((s) => s[k]));
  const summary = {
    device: device.info.name, backend: o.backend, durationS: o.durationS, timeScale: o.timeScale, arrivals: trace.arrivals.length,
    answered, failed, skipped, status: Object.fromEntries(status), p50Ms: q(0.5), p99Ms: q(0.99),
    rssMb: { start: first.rssMb, end: last.rssMb, peak: peak('rssMb') },
    heapMb: { start: first.heapMb, end: last.heapMb, peak: peak('heapMb') },
    inferPages: { start: first.inferPages, end: last.inferPages, peak: peak('inferPages') },
    trainPages: { start: first.trainPages, end: last.trainPages, peak: peak('trainPages') },
    handles: { start: first.handles, end: last.handles, peak: peak('handles') },
    connectionsAtEnd: last.connections,
    training: trainerStats, samples: samples.length,
  };
  arena.destroy();
  device.destroy();
  return summary;
}

/** One input of a v2 infer request (flat data; int64 values are small here). */
function encodeTensorForRequest(name: string, t: TensorData): Record<string, unknown> {
  return { name, datatype: V2_DATATYPE[t.type], shape: t.dims, data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
}

function mb(bytes: number): number {
  return Math.round(bytes / (1 << 20));
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number, min: number, max: number): number => {
    const v = Number(get(name) ?? dflt);
    if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${get(name)}`);
    return v;
  };
  const models = argv.flatMap((a, i) => (a === '--model' && argv[i + 1] ? [argv[i + 1]!] : [])).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--model wants NAME=FILE, got '${v}'`);
    return { name: v.slice(0, eq), file: v.slice(eq + 1) };
  });
  if (models.length === 0) throw new UsageError('give at least one --model NAME=FILE');
  return {
    backend: get('backend') ?? 'webgpu', durationS: num('duration-s', 60, 1, 86_400), models, traceFile: get('trace-file'),
    timeScale: num('time-scale', 12, 0.01, 10_000), train: get('train'), intervalS: num('interval-s', 10, 0.1, 3600),
    arenaMb: num('arena-mb', 512, 4, 1 << 20), maxInFlight: num('max-in-flight', 256, 1, 100_000),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const summary = await runSoak(parseSoakArgs(process.argv.slice(2)), (l) => console.error(l));
    console.log(JSON.stringify(summary));
  } catch (e) {
    console.error(`soak: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
