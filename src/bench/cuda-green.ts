// Green-context benchmark (numbers, not tests): "training" is an endless
// stream of large fp32 GEMMs, "inference" a short chain of small GEMMs issued
// every few milliseconds; each configuration puts them on ordinary streams or
// on SM partitions (green contexts) and measures inference latency (p50/p99,
// host-observed and GPU-event) and training throughput, all in one run.
//   node dist/src/bench/cuda-green.js [--seconds 3] [--period 5] [--train 4096]
//        [--infer 32x2048x4] [--fractions 0.5,0.75] [--json out.json | --json -]
import { writeFileSync } from 'node:fs';
import type { Backing } from '../core/device.js';
import type { Handle } from '../devices/cuda/addon.js';
import { CudaDevice } from '../devices/cuda/device.js';
import { SmPartition, greenAddon, smLayout, type GreenCuda, type SmLayout } from '../devices/cuda/green.js';

export interface GreenBenchOptions {
  seconds: number;
  warmupSeconds: number;
  periodMs: number;
  /** Training GEMM size (m = n = k). */
  train: number;
  /** Inference chain: rows (batch), hidden size, layers. */
  infer: { batch: number; hidden: number; layers: number };
  fractions: number[];
}

export interface GreenBenchRow {
  config: string;
  trainSms: number | null;
  inferSms: number | null;
  trainTflops: number | null;
  trainGemms: number;
  inferRequests: number;
  inferP50Ms: number | null;
  inferP99Ms: number | null;
  inferGpuP50Ms: number | null;
  inferGpuP99Ms: number | null;
}

export interface GreenBenchResult {
  device: string;
  date: string;
  layout: SmLayout;
  options: GreenBenchOptions;
  partitions: { fraction: number; requested: number; granted: number; rest: number }[];
  rows: GreenBenchRow[];
}

/** Where one lane of work runs: a stream, and how many SMs it may use. */
export interface Lane {
  stream: Handle;
  sms: number;
}

export interface Config {
  name: string;
  train: Lane | null;
  infer: Lane | null;
}

const quantile = (xs: number[], q: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Device memory for both workloads, filled with small random values. */
class Operands {
  readonly backing: Backing;
  private at = 0;
  constructor(private readonly d: CudaDevice, bytes: number) {
    this.backing = d.createBacking(Math.ceil(bytes / d.pageBytes) * d.pageBytes, 'bench-green');
  }
  take(floats: number, random: boolean): Handle {
    const range = { backing: this.backing, offset: this.at, bytes: floats * 4 };
    this.at += Math.ceil((floats * 4) / 256) * 256;
    if (random) this.d.write(range, Float32Array.from({ length: floats }, (_, i) => ((Math.imul(i, 2654435761) >>> 0) / 2 ** 32 - 0.5) * 0.1));
    return this.d.pointer(range);
  }
}

/** Runs one configuration: training kept `depth` GEMMs ahead, one inference request in flight at a time. */
export function runConfig(cu: GreenCuda, c: Config, o: GreenBenchOptions, mem: { A: Handle; B: Handle; C: Handle; x: Handle[]; w: Handle[] },
  blas: { train: Handle; infer: Handle }): GreenBenchRow {
  const N = o.train;
  const { batch, hidden, layers } = o.infer;
  const depth = 3;
  const timing = [cu.eventCreate(true), cu.eventCreate(true), cu.eventCreate(true), cu.eventCreate(true)] as const;
  const [trainStart, trainEnd, inferStart, inferEnd] = timing;
  const inflight: Handle[] = [];
  const idle = Array.from({ length: depth }, () => cu.eventCreate(false));
  if (c.train) cu.blasSetStream(blas.train, c.train.stream);
  if (c.infer) cu.blasSetStream(blas.infer, c.infer.stream);

  const host: number[] = [];
  const gpu: number[] = [];
  let gemms = 0;
  let measuring = false;
  let issuing = true;
  let request: number | null = null; // host time the request in flight was issued
  let next = 0;
  const t0 = performance.now();
  const measureAt = t0 + o.warmupSeconds * 1000;
  const stopAt = measureAt + o.seconds * 1000;

  for (;;) {
    const now = performance.now();
    if (c.train) {
      while (inflight.length > 0 && cu.eventQuery(inflight[0]!)) idle.push(inflight.shift()!);
      if (issuing && !measuring && now >= measureAt) {
        measuring = true;
        cu.eventRecord(trainStart, c.train.stream);
      }
      while (issuing && inflight.length < depth) {
        cu.gemm(blas.train, mem.A, mem.B, mem.C, N, N, N, false, false, 1, 0);
        if (measuring) gemms++;
        const e = idle.pop()!;
        cu.eventRecord(e, c.train.stream);
        inflight.push(e);
      }
    } else if (!measuring && now >= measureAt) measuring = true;
    if (issuing && now >= stopAt) {
      issuing = false;
      if (c.train) cu.eventRecord(trainEnd, c.train.stream);
    }
    if (c.infer) {
      if (request !== null && cu.eventQuery(inferEnd)) {
        if (measuring) {
          host.push(now - request);
          gpu.push(cu.eventElapsed(inferStart, inferEnd));
        }
        next = Math.max(next, request + o.periodMs);
        request = null;
      }
      if (request === null && now >= next && (issuing || (c.train !== null && !cu.eventQuery(trainEnd)))) {
        request = performance.now();
        cu.eventRecord(inferStart, c.infer.stream);
        for (let l = 0; l < layers; l++)
          cu.gemm(blas.infer, mem.x[l % 2]!, mem.w[l]!, mem.x[(l + 1) % 2]!, batch, hidden, hidden, false, false, 1, 0);
        cu.eventRecord(inferEnd, c.infer.stream);
      }
    }
    if (!issuing && request === null && (!c.train || cu.eventQuery(trainEnd))) break;
  }
  cu.synchronize();
  const trainMs = c.train ? cu.eventElapsed(trainStart, trainEnd) : 0;
  for (const e of [...timing, ...idle, ...inflight]) cu.eventDestroy(e);
  return {
    config: c.name,
    trainSms: c.train?.sms ?? null,
    inferSms: c.infer?.sms ?? null,
    trainTflops: c.train ? (gemms * 2 * N ** 3) / trainMs / 1e9 : null,
    trainGemms: gemms,
    inferRequests: host.length,
    inferP50Ms: quantile(host, 0.5),
    inferP99Ms: quantile(host, 0.99),
    inferGpuP50Ms: quantile(gpu, 0.5),
    inferGpuP99Ms: quantile(gpu, 0.99),
  };
}

export async function runGreenBench(o: GreenBenchOptions, log: (line: string) => void = console.log): Promise<GreenBenchResult> {
  const d = await CudaDevice.open(log);
  const cu = greenAddon(d.cu);
  const layout = smLayout(cu, d.ordinal);
  log(`SMs: ${layout.smCount}, min group ${layout.minPartition}, alignment ${layout.alignment}`);
  const N = o.train;
  const { batch, hidden, layers } = o.infer;
  const mem = new Operands(d, (3 * N * N + 2 * batch * hidden + layers * hidden * hidden) * 4 + 64 * 256);
  const A = mem.take(N * N, true);
  const B = mem.take(N * N, true);
  const C = mem.take(N * N, false);
  const x = [mem.take(batch * hidden, true), mem.take(batch * hidden, false)];
  const w = Array.from({ length: layers }, () => mem.take(hidden * hidden, true));
  await d.fence();

  const { greatest } = cu.streamPriorities();
  const plain: Lane = { stream: d.cu.streamCreate(0), sms: layout.smCount };
  const urgent: Lane = { stream: d.cu.streamCreate(greatest), sms: layout.smCount };
  const blas = { train: d.cu.blasCreate(plain.stream), infer: d.cu.blasCreate(urgent.stream) };
  const partitions: GreenBenchResult['partitions'] = [];
  const configs: Config[] = [
    { name: 'training alone, all SMs', train: plain, infer: null },
    { name: 'inference alone, priority stream', train: null, infer: urgent },
    { name: 'shared: training + inference on a priority stream', train: plain, infer: urgent },
  ];
  const made: SmPartition[] = [];
  for (const f of o.fractions) {
    const p = SmPartition.create(d.cu, { sms: Math.round(f * layout.smCount), ordinal: d.ordinal, rest: true });
    made.push(p);
    partitions.push({ fraction: f, requested: p.requested, granted: p.granted, rest: p.rest!.smCount });
    log(`partition ${Math.round(f * 100)}%: asked ${p.requested} SMs, granted ${p.granted}, rest ${p.rest!.smCount}`);
    const part: Lane = { stream: p.part.stream(0), sms: p.granted };
    const rest: Lane = { stream: p.rest!.stream(greatest), sms: p.rest!.smCount };
    const pct = `${Math.round(f * 100)}% (${p.granted} SMs)`;
    configs.push(
      { name: `training alone, green ${pct}`, train: part, infer: null },
      { name: `green ${pct} training + inference on a priority stream (all SMs)`, train: part, infer: urgent },
      { name: `green ${pct} training + inference on the rest (green, ${rest.sms} SMs)`, train: part, infer: rest },
      { name: `inference alone, rest of ${pct} (${rest.sms} SMs)`, train: null, infer: rest },
    );
  }

  const rows: GreenBenchRow[] = [];
  try {
    for (const c of configs) {
      const row = runConfig(cu, c, o, { A, B, C, x, w }, blas);
      rows.push(row);
      log(line(row));
    }
  } finally {
    cu.synchronize();
    cu.blasDestroy(blas.train);
    cu.blasDestroy(blas.infer);
    for (const p of made) p.destroy();
    cu.streamDestroy(plain.stream);
    cu.streamDestroy(urgent.stream);
    d.destroyBacking(mem.backing);
  }
  const result: GreenBenchResult = {
    device: `${d.info.name} (${d.info.architecture}, driver ${d.props.driverVersion})`,
    date: new Date().toISOString(),
    layout,
    options: o,
    partitions,
    rows,
  };
  d.destroy();
  return result;
}

const ms = (v: number | null): string => (v === null ? '' : v.toFixed(3));

function line(r: GreenBenchRow): string {
  const t = r.trainTflops === null ? '' : ` training ${r.trainTflops.toFixed(2)} TFLOP/s (${r.trainGemms} GEMMs);`;
  const i = r.inferP50Ms === null ? '' : ` inference p50 ${ms(r.inferP50Ms)} ms p99 ${ms(r.inferP99Ms)} ms (GPU ${ms(r.inferGpuP50Ms)} / ${ms(r.inferGpuP99Ms)}), ${r.inferRequests} requests`;
  return `${r.config}:${t}${i}`;
}

export function greenTable(r: GreenBenchResult): string {
  const o = r.options;
  const lines = [
    `${r.device}, ${r.date}. Training: ${o.train}³ fp32 GEMMs; inference: ${o.infer.layers} GEMMs ${o.infer.batch}×${o.infer.hidden}×${o.infer.hidden} every ${o.periodMs} ms; ${o.seconds} s per row.`,
    '',
    '| configuration | training SMs | inference SMs | training TFLOP/s | inference p50 ms | p99 ms | GPU p50 ms | GPU p99 ms | requests |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const x of r.rows)
    lines.push(`| ${x.config} | ${x.trainSms ?? ''} | ${x.inferSms ?? ''} | ${x.trainTflops?.toFixed(2) ?? ''} | ${ms(x.inferP50Ms)} | ` +
      `${ms(x.inferP99Ms)} | ${ms(x.inferGpuP50Ms)} | ${ms(x.inferGpuP99Ms)} | ${x.inferRequests || ''} |`);
  return lines.join('\n');
}

export function parseGreenArgs(argv: string[]): GreenBenchOptions & { json?: string } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const [batch, hidden, layers] = (get('--infer') ?? '32x2048x4').split('x').map(Number) as [number, number, number];
  const o = {
    seconds: Number(get('--seconds') ?? 3),
    warmupSeconds: Number(get('--warmup') ?? 0.5),
    periodMs: Number(get('--period') ?? 5),
    train: Number(get('--train') ?? 4096),
    infer: { batch, hidden, layers },
    fractions: (get('--fractions') ?? '0.5,0.75').split(',').map(Number),
    json: get('--json'),
  };
  const bad = [o.seconds, o.warmupSeconds, o.periodMs, o.train, batch, hidden, layers, ...o.fractions].some((v) => !Number.isFinite(v) || v < 0);
  if (bad || o.fractions.some((f) => f <= 0 || f >= 1) || layers < 1)
    throw new Error(`bench-green: bad arguments ${argv.join(' ')} (fractions in (0, 1), sizes positive)`);
  return o;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { json, ...o } = parseGreenArgs(process.argv.slice(2));
  const r = await runGreenBench(o);
  if (json && json !== '-') writeFileSync(json, JSON.stringify(r, null, 2));
  console.log(`\n${greenTable(r)}`);
  if (json === '-') console.log(JSON.stringify(r)); // one line, last: scripts/device-bench.sh reads it
}
