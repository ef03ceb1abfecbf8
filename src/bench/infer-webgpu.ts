// `handover bench infer-webgpu`: inference latency of handover on WebGPU beside
// onnxruntime-node's WebGPU EP and CPU EP, in one process, on the same random
// inputs: per model and batch, p50 of `runs` host-to-host runs after a
// warm-up, handover's GPU time per run (the sum of its kernels' GPU
// timestamps, where the adapter has timestamp queries), and handover's
// agreement with the ORT CPU EP (relative L2 error). Numbers, not tests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arena } from '../core/arena.js';
import { parseModel } from '../onnx/loader.js';
import { compare, loadOrt } from '../infer/ort.js';
import { profileRun } from '../infer/profile.js';
import { randomInputs } from '../infer/random-inputs.js';
import { ModelStore, type TensorData } from '../infer/store.js';
import { seeded } from '../train/data.js';
import type { WebGpuDevice } from '../devices/webgpu/device.js';
import type { RunPhases } from '../infer/executor.js';

export const BENCH_MODELS = ['squeezenet1_1', 'mobilenet_v2', 'tiny_gpt'] as const;
/** Timed too where --models holds them (the GPU-scale models: scripts/device-scale-models.sh exports them); not missing otherwise. */
export const OPTIONAL_MODELS = ['resnet50'] as const;

export interface Latency {
  p50: number;
  min: number;
  mean: number;
}

export interface InferWebGpuRow {
  model: string;
  batch: number;
  handover: Latency;
  /** Sum of the kernels' GPU timestamps of one run (null: no timestamp queries). */
  handoverGpuMs: number | null;
  /** Median host time of each phase of a run over the timed runs (ms): writes, issuing launches, readback (with its wait), fence. */
  handoverPhases: RunPhases;
  ortWebGpu: Latency | { error: string };
  ortCpu: Latency | { error: string };
  /** ||handover - ORT CPU|| / ||ORT CPU|| over the outputs. */
  relErr: number;
}

export interface InferWebGpuResult {
  date: string;
  device: string;
  kernels: string;
  runs: number;
  rows: InferWebGpuRow[];
  missing: string[];
}

export interface InferWebGpuOptions {
  models: string;
  runs: number;
  warmup: number;
  batches: number[];
  arenaBytes: number;
  only?: string[];
  /** Time onnxruntime-node too (default true). */
  ort?: boolean;
  log?: (line: string) => void;
}

function latency(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: s[Math.floor((s.length - 1) / 2)]!, min: s[0]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function timed(run: () => Promise<unknown>, warmup: number, runs: number): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return latency(ms);
}

interface OrtRunner {
  run(): Promise<Record<string, TensorData>>;
}

async function ortRunner(file: string, inputs: Record<string, TensorData>, ep: 'webgpu' | 'cpu'): Promise<OrtRunner> {
  const o = await loadOrt();
  const create = o.InferenceSession.create as unknown as (f: string, opts: object) => Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { type: string; dims: readonly number[]; data: unknown }>> }>;
  const session = await create(file, { executionProviders: [ep], graphOptimizationLevel: 'all' });
  const feeds: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(inputs)) feeds[k] = new o.Tensor(t.type, t.data, t.dims);
  return {
    async run() {
      const res = await session.run(feeds);
      const out: Record<string, TensorData> = {};
      for (const [k, t] of Object.entries(res)) out[k] = { type: t.type as TensorData['type'], dims: [...t.dims], data: t.data as TensorData['data'] };
      return out;
    },
  };
}

async function ortLatency(file: string, inputs: Record<string, TensorData>, ep: 'webgpu' | 'cpu', o: InferWebGpuOptions): Promise<{ lat: Latency | { error: string }; out?: Record<string, TensorData> }> {
  try {
    const r = await ortRunner(file, inputs, ep);
    const out = await r.run();
    return { lat: await timed(() => r.run(), o.warmup, o.runs), out };
  } catch (e) {
    return { lat: { error: (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200) } };
  }
}

export async function inferWebGpuBench(dev: WebGpuDevice, o: InferWebGpuOptions): Promise<InferWebGpuResult> {
  const log = o.log ?? (() => {});
  const arena = new Arena(dev, { bytes: o.arenaBytes });
  const store = new ModelStore(arena, { graphs: false });
  const rows: InferWebGpuRow[] = [];
  const missing: string[] = [];
  try {
    for (const model of [...BENCH_MODELS, ...OPTIONAL_MODELS]) {
      if (o.only && !o.only.includes(model)) continue;
      const file = join(o.models, `${model}.onnx`);
      if (!existsSync(file) && (OPTIONAL_MODELS as readonly string[]).includes(model) && !o.only) continue;
      if (!existsSync(file)) {
        log(`bench infer-webgpu: ${file} not found (pass --models DIR)`);
        missing.push(file);
        continue;
      }
      const g = parseModel(readFileSync(file), file);
      const first = g.inputs.flatMap((io) => io.dims).find((d): d is string => typeof d === 'string');
      store.register(model, file);
      await store.load(model);
      for (const batch of o.batches) {
        const inputs = randomInputs(g, (s) => (s === first ? batch : 1), seeded(1234 + batch));
        const ours = await store.run(model, inputs);
        const phases: RunPhases[] = [];
        const handover = await timed(async () => {
          await store.run(model, inputs);
          phases.push(store.lastPhases(model)!);
        }, o.warmup, o.runs);
        const median = (k: keyof RunPhases) => latency(phases.slice(o.warmup).map((p) => p[k])).p50;
        const handoverPhases: RunPhases = { write: median('write'), issue: median('issue'), read: median('read'), fence: median('fence') };
        const handoverGpuMs = dev.features.timestamps ? (await profileRun(store, dev, model, inputs)).totalMs : null;
        const skipped = { lat: { error: 'not run (--ort=false)' } };
        const cpu = o.ort === false ? skipped : await ortLatency(file, inputs, 'cpu', o);
        const web = o.ort === false ? skipped : await ortLatency(file, inputs, 'webgpu', o);
        const relErr = 'out' in cpu && cpu.out ? compare(ours, cpu.out).relErr : NaN;
        const row: InferWebGpuRow = { model, batch, handover, handoverGpuMs, handoverPhases, ortWebGpu: web.lat, ortCpu: cpu.lat, relErr };
        rows.push(row);
        log(rowLine(row));
      }
      await store.unload(model);
    }
  } finally {
    arena.destroy();
  }
  return { date: new Date().toISOString(), device: `${dev.info.name} (${dev.how})`, kernels: dev.kernelSet, runs: o.runs, rows, missing };
}

const ms = (l: Latency | { error: string }) => ('error' in l ? 'failed' : l.p50.toFixed(3));
const ratio = (a: Latency, b: Latency | { error: string }) => ('error' in b ? 'n/a' : (a.p50 / b.p50).toFixed(2));

function rowLine(r: InferWebGpuRow): string {
  const ph = r.handoverPhases;
  return `${r.model} batch ${r.batch}: handover ${r.handover.p50.toFixed(3)} ms (GPU ${r.handoverGpuMs?.toFixed(3) ?? 'n/a'} ms; ` +
    `host phases p50: write ${ph.write.toFixed(3)}, issue ${ph.issue.toFixed(3)}, readback ${ph.read.toFixed(3)}, fence ${ph.fence.toFixed(3)} ms), ` +
    `ORT WebGPU ${ms(r.ortWebGpu)} ms, ORT CPU ${ms(r.ortCpu)} ms; relErr vs ORT CPU ${r.relErr.toExponential(2)}`;
}

export function inferWebGpuTable(r: InferWebGpuResult): string {
  const lines = [
    `inference latency, host to host, p50 of ${r.runs} runs after warm-up (ms); ${r.device}; kernels ${r.kernels}; ${r.date}`,
    '| model | batch | handover WebGPU | handover GPU time | ORT WebGPU EP | ORT CPU EP | handover / ORT WebGPU | relErr vs ORT CPU |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const x of r.rows) {
    lines.push(`| ${x.model} | ${x.batch} | ${x.handover.p50.toFixed(3)} | ${x.handoverGpuMs?.toFixed(3) ?? 'n/a'} | ${ms(x.ortWebGpu)} | ${ms(x.ortCpu)} | ${ratio(x.handover, x.ortWebGpu)} | ${x.relErr.toExponential(1)} |`);
  }
  for (const x of r.rows) for (const [ep, l] of [['WebGPU', x.ortWebGpu], ['CPU', x.ortCpu]] as const) if ('error' in l) lines.push(`ORT ${ep} EP on ${x.model} batch ${x.batch}: ${l.error}`);
  for (const m of r.missing) lines.push(`missing: ${m}`);
  return lines.join('\n');
}
