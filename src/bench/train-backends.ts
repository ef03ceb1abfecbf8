// Training throughput of one backend on a GPU-bound MLP configuration, split
// into where the time goes, so that backends measured in the same run can be
// compared (`handover bench train-backends`, docs/webgpu-training.md):
//   matmul:  GFLOP/s of the trainer's three GEMM shapes alone (forward A W^T,
//            weight gradient dZ^T A, input gradient dZ W), launches back to
//            back and one fence; on a tiled WebGPU device also each named
//            variant (MATMUL_VARIANTS but matmul_rows4) where it applies,
//            beside the device's choice;
//   device:  whole optimizer steps (upload, forward, backward, accumulate,
//            update) launched straight onto the device, one fence at the end:
//            what the kernels and submissions cost without the gate;
//   trainer: Trainer.step through the gate in TRAINER_MODES: as `handover
//            train` runs it (the loss read back after every step), without
//            the loss read, with the update phase waited for and no fusion of
//            a one-micro-batch step (pipelineUpdates, fuseSingleMicroBatch
//            off: the trainer before 2026-12-03 10:00 UTC), with the
//            zero-fill and the update in phases of their own (the trainer
//            before mergePhases), and with a micro-batch's gradient launches
//            in one command buffer; with the gate's host waits a step;
//   gpu:     the kernels' GPU time in one step (timestamp queries; WebGPU only);
//   sync:    an empty fence and a 4-byte read on an idle device (p50 of 30).
import { Arena } from '../core/arena.js';
import type { TrainAllocation } from '../core/allocation.js';
import type { GpuDevice, Launch } from '../core/device.js';
import { Gate } from '../core/gate.js';
import { seeded } from '../core/random.js';
import { axpy, fill } from '../kernels/elementwise.js';
import { namedMatmulFits, pickVariant, type Variants } from '../devices/webgpu/variants.js';
import { matmul, matmulOn, MATMUL_VARIANTS, type MatmulArgs, type MatmulVariant } from '../kernels/matmul.js';
import { activationBytes } from '../train/activations.js';
import type { Dataset } from '../train/data.js';
import { mlpLayout } from '../train/mlp.js';
import { MlpModel } from '../train/mlp-model.js';
import { Trainer, type TrainConfig, type TrainerTuning } from '../train/trainer.js';

export interface TrainBackendsOptions {
  /** Widths, input to classes (e.g. 64-4096-4096-10). */
  layers: number[];
  /** Micro-batch = effective batch. */
  batch: number;
  /** Timed optimizer steps per measurement (after `warmup` untimed ones). */
  steps: number;
  warmup: number;
  /** Launches per GEMM shape in the matmul measurement. */
  matmulReps: number;
  log?: (line: string) => void;
}

export interface GemmRate {
  /** The kernel that ran ("matmul": the device's choice for the portable kernel). */
  kernel: string;
  /** "m x n x k, layout" */
  shape: string;
  gflops: number;
}

export interface TrainBackendRow {
  /** Backend and kernel set, e.g. "cuda", "webgpu (tiled)". */
  name: string;
  device: string;
  matmul: GemmRate[];
  /** Samples per second, steps launched straight onto the device (no waits). */
  deviceSamplesPerSec: number;
  /** The same in each of DEVICE_MODES (waits as the trainer has them, without the gate and the trainer). */
  deviceModes: { mode: string; samplesPerSec: number }[];
  /** Samples per second through the trainer and the gate, and the gate's host waits a step, per TRAINER_MODES entry. */
  trainer: { mode: string; samplesPerSec: number; gateWaitsPerStep: number; gateWaitMsPerStep: number }[];
  /** The trainer's first step (kernels compiled or loaded on first use), ms. */
  firstStepMs: number;
  /** p50 of an empty fence and of a 4-byte read on an idle device, ms. */
  fenceMs: number;
  readMs: number;
  /** GPU time of one step's kernels (ms), or null without timestamp queries. */
  gpuMsPerStep: number | null;
  /** That step's GPU time by kernel, most first (at most GPU_TOP kernels). */
  gpuTop: { kernel: string; ms: number }[];
  /** The mean loss of the last trainer step (the run trained, not only timed). */
  lastLoss: number;
}

/** Something that can profile launches with GPU timestamps (the WebGPU device). */
interface Profiling {
  features: { timestamps: boolean };
  beginProfile(): void;
  endProfile(): Promise<{ kernel: string; ms: number }[]>;
}

function profiling(dev: GpuDevice): Profiling | null {
  const p = dev as unknown as Partial<Profiling>;
  return p.features?.timestamps && typeof p.beginProfile === 'function' ? (p as Profiling) : null;
}

export function trainConfig(o: TrainBackendsOptions): TrainConfig {
  return { layers: o.layers, optimizer: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0, effectiveBatch: o.batch, microBatch: o.batch, seed: 1 };
}

/** Arena bytes the configuration needs on a device with these pages. */
export function arenaBytesFor(o: TrainBackendsOptions, pageBytes: number): number {
  const layout = mlpLayout(o.layers);
  return Math.ceil((layout.bytes * 5 + activationBytes(layout, o.batch) + 16 * pageBytes) / pageBytes) * pageBytes;
}

async function timed(dev: GpuDevice, reps: number, issue: (i: number) => void): Promise<number> {
  await dev.fence();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) issue(i);
  await dev.fence();
  return performance.now() - t0;
}

/** Timed blocks of matmulReps launches per kernel and shape in gemmRates (odd: the median is one of them). */
const GEMM_BLOCKS = 3;

/** GFLOP/s of the trainer's three GEMM shapes for its widest layer (the median of GEMM_BLOCKS blocks). */
async function gemmRates(dev: GpuDevice, arena: Arena, o: TrainBackendsOptions): Promise<GemmRate[]> {
  const w = Math.max(...o.layers.slice(1, -1), o.layers[0]!);
  const b = o.batch;
  const words = Math.max(b * w, w * w);
  const bufs = [0, 1, 2].map((i) => arena.allocate('train', words * 4, `gemm ${i}`));
  const rand = seeded(7);
  for (const a of bufs.slice(0, 2)) dev.write(a.range(), Float32Array.from({ length: words }, () => rand() - 0.5));
  const shapes: [string, number, number, number, boolean, boolean][] = [
    ['forward A W^T', b, w, w, false, true],
    ['weight grad dZ^T A', w, w, b, true, false],
    ['input grad dZ W', b, w, w, false, false],
  ];
  const out: GemmRate[] = [];
  const variants: Variants = (dev as { variants?: Variants }).variants ?? {};
  // on a tiled device, each named variant beside the device's choice where it applies (the wide GEMMs: vec4-aligned rows; matmul_narrow: n <= 16)
  const named = (dev as { kernelSet?: string }).kernelSet === 'tiled' ? (Object.keys(MATMUL_VARIANTS) as MatmulVariant[]).filter((v) => v !== 'matmul_rows4') : [];
  const kernels = [matmul, ...named.map((v) => (x: MatmulArgs) => matmulOn(v, x))];
  for (const make of kernels)
    for (const [label, m, n, k, transA, transB] of shapes) {
      const l = make({ a: bufs[0]!.range(), b: bufs[1]!.range(), c: bufs[2]!.range(), m, n, k, transA, transB });
      if (!namedMatmulFits(l.kernel, l.params)) continue;
      await timed(dev, 1, () => dev.launch(l)); // compile and warm
      const blocks: number[] = []; // GEMM_BLOCKS timed blocks, the median reported: one slow block (seen on the H200) does not decide
      for (let i = 0; i < GEMM_BLOCKS; i++) blocks.push(await timed(dev, o.matmulReps, () => dev.launch(l)));
      const ms = blocks.sort((x, y) => x - y)[GEMM_BLOCKS >> 1]!;
      const chosen = pickVariant(variants, l.kernel, l.params)?.kernel;
      out.push({ kernel: chosen ? `device's choice (${chosen})` : l.kernel, shape: `${m} x ${n} x ${k}, ${label}`, gflops: (2 * m * n * k * o.matmulReps) / ms / 1e6 });
    }
  bufs.forEach((a) => arena.free(a));
  return out;
}

/** Kernels listed in a step's GPU time (every kernel of the MLP's step: 20 or so). */
const GPU_TOP = 24;

/**
 * One optimizer step's launches on bound buffers, without the gate: the gradient phase and the update phase;
 * `fused` as the trainer's step of one micro-batch (no accumulator, the loss summed with the gradient).
 */
function stepLaunches(model: MlpModel, buf: { params: TrainAllocation; grad: TrainAllocation; micro: TrainAllocation; states: TrainAllocation[]; loss: TrainAllocation }, act: ReturnType<MlpModel['bind']>, b: number, t: number, fused: boolean): { gc: Launch[]; mu: Launch[] } {
  const words = buf.grad.bytes / 4;
  const update = model.update({ params: buf.params, grad: fused ? buf.micro : buf.grad, states: buf.states, scratch: null }, t);
  if (fused) return { gc: [fill(buf.loss, 1, 0), ...act.gradient(b, 1 / b), act.lossSum(b, 1 / b, buf.loss)], mu: update };
  return { gc: [fill(buf.grad, words, 0), fill(buf.loss, 1, 0), ...act.gradient(b, 1 / b)], mu: [axpy(buf.micro, buf.grad, words), act.lossSum(b, 1 / b, buf.loss), ...update] };
}

/** How whole steps go straight onto the device: no waits; a fence after each step; a fence between the gradient and the update (the gate's rule, without the gate). */
const DEVICE_MODES = ['no waits', 'fence a step', 'fence at the update'] as const;

/** Samples/s of whole steps launched straight onto the device (DEVICE_MODES), and one step's GPU profile where there is one. */
async function deviceSteps(dev: GpuDevice, arena: Arena, o: TrainBackendsOptions, data: Dataset, indices: Uint32Array) {
  const cfg = trainConfig(o);
  const model = new MlpModel(cfg.layers, cfg);
  const alloc = (label: string, bytes = model.paramBytes) => arena.allocate('train', bytes, label);
  const buf = { params: alloc('parameters'), grad: alloc('gradients'), micro: alloc('micro-batch gradients'), states: [alloc('momentum')], loss: alloc('loss', 256) };
  const acts = alloc('activations', model.activationBytes(o.batch));
  dev.write(buf.params.range(), model.initialParameters(1));
  for (const a of [buf.grad, buf.micro, ...buf.states, buf.loss]) dev.launch(fill(a, a.bytes / 4, 0));
  const act = model.bind(buf.params, buf.micro, acts, o.batch);
  const fused = !dev.info.capabilities.lanes; // as the trainer's default (TrainerTuning.fuseSingleMicroBatch)
  const step = async (t: number, mode: (typeof DEVICE_MODES)[number]) => {
    act.upload(dev, data, indices);
    const { gc, mu } = stepLaunches(model, buf, act, o.batch, t, fused);
    for (const l of gc) dev.launch(l);
    if (mode === 'fence at the update') await dev.fence();
    for (const l of mu) dev.launch(l);
    if (mode === 'fence a step') await dev.fence();
    else void dev.submit();
  };
  const rates: { mode: string; samplesPerSec: number }[] = [];
  let t = 0;
  for (const mode of DEVICE_MODES) {
    for (let i = 0; i < o.warmup; i++) await step(++t, mode);
    await dev.fence();
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) await step(++t, mode);
    await dev.fence();
    rates.push({ mode, samplesPerSec: (o.steps * o.batch) / ((performance.now() - t0) / 1000) });
  }
  let gpuMsPerStep: number | null = null;
  let gpuTop: { kernel: string; ms: number }[] = [];
  const prof = profiling(dev);
  if (prof) {
    prof.beginProfile();
    await step(1, 'no waits');
    const times = await prof.endProfile();
    gpuMsPerStep = times.reduce((s, k) => s + k.ms, 0);
    const by = new Map<string, number>();
    for (const k of times) by.set(k.kernel, (by.get(k.kernel) ?? 0) + k.ms);
    gpuTop = [...by].map(([kernel, ms]) => ({ kernel, ms })).sort((x, y) => y.ms - x.ms).slice(0, GPU_TOP);
  }
  for (const a of [buf.params, buf.grad, buf.micro, ...buf.states, buf.loss, acts]) arena.free(a);
  return { samplesPerSec: rates[0]!.samplesPerSec, rates, gpuMsPerStep, gpuTop };
}

/** How the trainer runs in each timed trainer measurement; the first is `handover train`'s (the defaults). */
export const TRAINER_MODES: { mode: string; readLoss: boolean; tuning: Partial<TrainerTuning> }[] = [
  { mode: 'trainer (loss read a step)', readLoss: true, tuning: {} },
  { mode: 'no loss read', readLoss: false, tuning: {} },
  { mode: 'update waited, unfused (before)', readLoss: true, tuning: { pipelineUpdates: false, fuseSingleMicroBatch: false } },
  { mode: 'phases unmerged', readLoss: true, tuning: { mergePhases: false } },
  { mode: 'one submission a micro-batch', readLoss: true, tuning: { launchesPerSubmit: Infinity } },
];

/** Samples/s through the trainer and the gate in each of TRAINER_MODES, on one trainer. */
async function trainerSteps(dev: GpuDevice, arena: Arena, o: TrainBackendsOptions, data: Dataset, indices: Uint32Array) {
  const gate = new Gate(dev, { maxInFlight: dev.info.software ? 1 : 4 });
  const t = new Trainer(arena, gate, trainConfig(o));
  t.init();
  await gate.idle();
  const f0 = performance.now();
  await t.step(data, indices);
  await gate.idle();
  const firstStepMs = performance.now() - f0;
  const rates: TrainBackendRow['trainer'] = [];
  const defaults = { ...t.tuning };
  for (const m of TRAINER_MODES) {
    Object.assign(t.tuning, defaults, m.tuning);
    for (let i = 1; i < o.warmup; i++) await t.step(data, indices);
    await gate.idle();
    const waits0 = gate.hostWaits;
    const waitMs0 = gate.hostWaitMs;
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) {
      await t.step(data, indices);
      if (m.readLoss) await t.lastLoss();
    }
    await gate.idle();
    rates.push({ mode: m.mode, samplesPerSec: (o.steps * o.batch) / ((performance.now() - t0) / 1000), gateWaitsPerStep: (gate.hostWaits - waits0) / o.steps, gateWaitMsPerStep: (gate.hostWaitMs - waitMs0) / o.steps });
  }
  Object.assign(t.tuning, defaults);
  return { rates, firstStepMs, lastLoss: await t.lastLoss() };
}

/** p50 of an empty fence and of a 4-byte read on an idle device, ms. */
async function syncLatency(dev: GpuDevice, arena: Arena) {
  const a = arena.allocate('train', 256, 'sync probe');
  const p50 = async (f: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return ms.sort((x, y) => x - y)[15]!;
  };
  await dev.fence();
  const fenceMs = await p50(() => dev.fence());
  const readMs = await p50(() => dev.read({ ...a.range(), bytes: 4 }));
  arena.free(a);
  return { fenceMs, readMs };
}

/** The three measurements on one open device (the caller destroys it). */
export async function trainBackendRow(name: string, dev: GpuDevice, o: TrainBackendsOptions, data: Dataset): Promise<TrainBackendRow> {
  const pageBytes = dev.info.software ? 64 * 1024 : 2 * 2 ** 20;
  const indices = Uint32Array.from({ length: o.batch }, (_, i) => i % data.n);
  const log = o.log ?? (() => undefined);
  // A fresh arena for each measurement (freed pages come back only after a drain proof).
  const fresh = async <T>(run: (arena: Arena) => Promise<T>): Promise<T> => {
    const arena = new Arena(dev, { bytes: arenaBytesFor(o, pageBytes), pageBytes });
    try {
      return await run(arena);
    } finally {
      await dev.fence();
      arena.destroy();
    }
  };
  log(`${name}: matmul`);
  const gemm = await fresh((a) => gemmRates(dev, a, o));
  log(`${name}: ${o.steps} steps straight onto the device`);
  const d = await fresh((a) => deviceSteps(dev, a, o, data, indices));
  const sync = await fresh((a) => syncLatency(dev, a));
  log(`${name}: ${o.steps} steps through the trainer (${TRAINER_MODES.length} ways)`);
  const tr = await fresh((a) => trainerSteps(dev, a, o, data, indices));
  return {
    name, device: dev.info.name, matmul: gemm,
    deviceSamplesPerSec: d.samplesPerSec, deviceModes: d.rates, trainer: tr.rates,
    firstStepMs: tr.firstStepMs, ...sync, gpuMsPerStep: d.gpuMsPerStep, gpuTop: d.gpuTop, lastLoss: tr.lastLoss,
  };
}

/** GFLOP/s by backend and kernel (rows) and GEMM shape (columns). */
function gemmTable(rows: TrainBackendRow[]): string[] {
  const shapes = [...new Set(rows.flatMap((r) => r.matmul.map((g) => g.shape)))];
  const lines = [`| backend | kernel | ${shapes.map((x) => `${x}, GFLOP/s`).join(' | ')} |`, `| --- | --- | ${shapes.map(() => '---').join(' | ')} |`];
  for (const r of rows)
    for (const kernel of new Set(r.matmul.map((g) => g.kernel))) {
      const cell = (shape: string) => r.matmul.find((g) => g.kernel === kernel && g.shape === shape)?.gflops;
      lines.push(`| ${r.name} | ${kernel} | ${shapes.map((x) => cell(x)?.toFixed((cell(x) ?? 0) < 10 ? 2 : 0) ?? '-').join(' | ')} |`);
    }
  return lines;
}

/** Markdown tables of the rows, each against the first (the reference). */
export function trainBackendsTable(rows: TrainBackendRow[], o: TrainBackendsOptions): string {
  const ref = rows[0];
  if (!ref) return '(no backend ran)';
  const x = (v: number, r: number) => `${v.toFixed(0)} (${r > 0 ? (v / r).toFixed(2) : '-'}x)`;
  const ms = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  const lines = [
    `MLP ${o.layers.join('-')}, micro-batch = effective batch = ${o.batch}, SGD momentum; ${o.steps} timed steps after ${o.warmup}; samples/s (x the reference, ${ref.name})`,
    '',
    `| backend | ${ref.trainer.map((m) => m.mode).join(' | ')} | device only | GPU ms/step | first step ms | fence / 4-byte read ms | last loss |`,
    `| --- | ${ref.trainer.map(() => '---').join(' | ')} | --- | --- | --- | --- | --- |`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.trainer.map((m, i) => x(m.samplesPerSec, ref.trainer[i]!.samplesPerSec)).join(' | ')} | ` +
        `${x(r.deviceSamplesPerSec, ref.deviceSamplesPerSec)} | ${ms(r.gpuMsPerStep)} | ${ms(r.firstStepMs)} | ${ms(r.fenceMs)} / ${ms(r.readMs)} | ${r.lastLoss.toFixed(4)} |`,
    ),
    '',
    ...gemmTable(rows),
  ];
  for (const r of rows) {
    const waits = r.trainer.map((m) => `${m.mode} ${m.gateWaitsPerStep.toFixed(2)} (${m.gateWaitMsPerStep.toFixed(2)} ms)`);
    lines.push('', `gate waits a step, ${r.name} (beginUpdate, endUpdate, and the host's ms in them; the loss read is one more where read): ${waits.join(', ')}`);
    lines.push(`device only, ${r.name}, samples/s: ${r.deviceModes.map((m) => `${m.mode} ${m.samplesPerSec.toFixed(0)}`).join(', ')}`);
  }
  for (const r of rows) if (r.gpuTop.length) lines.push('', `${r.name}, one step's GPU time by kernel: ${r.gpuTop.map((k) => `${k.kernel} ${k.ms.toFixed(3)} ms`).join(', ')}`);
  return lines.join('\n');
}
