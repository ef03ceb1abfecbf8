// One system of the evaluation on a device: a fresh arena, gate, trainer,
// model store and colocation core, with N model instances (duplicates of a
// few MLP architectures made in code) and training on the digits running in
// the background. Every system of a run gets the same testbed spec; only the
// policy differs.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Arena } from '../core/arena.js';
import { UsageError } from '../core/errors.js';
import { randomInputs } from '../infer/random-inputs.js';
import { parseModel } from '../onnx/loader.js';
import { seeded } from '../train/data.js';
import type { GpuDevice } from '../core/device.js';
import { Gate } from '../core/gate.js';
import { slicingFor, type SliceMode, type SlicingPolicy } from '../core/slicing.js';
import { mlpOnnx } from '../colocate/mlp-model.js';
import { TrainingJob } from '../colocate/training-job.js';
import { ModelStore, type TensorData } from '../infer/store.js';
import { StoreModels, TrainerMemory } from '../sched/adapters.js';
import type { ColocationCore, MemorySide } from '../sched/core.js';
import { buildCore, NoTraining, type SystemPolicy } from '../sched/systems.js';
import type { Dataset } from '../train/data.js';
import { Trainer } from '../train/trainer.js';
import { SystemRunError, TestbedSizeError } from './errors.js';

export interface TestbedSpec {
  pageBytes: number;
  arenaPages: number;
  /** Pages kept for inference activations (taken from training once, outside the core). */
  workspacePages: number;
  /** Layer widths of each architecture, input first; instance i uses architecture i mod the count. */
  architectures: number[][];
  /**
   * ONNX files to serve instead of the MLPs (e.g. ../shared/models/squeezenet1_1.onnx):
   * each file is an architecture, duplicated to `models` instances, inputs random at batch 1.
   */
  modelFiles: string[];
  models: number;
  train: { layers: number[]; microBatch: number; effectiveBatch: number; lr: number };
  maxInFlight: number;
  /**
   * Inference priority on the one queue: training launches stay held this
   * long after a request's execution ends (0: only while it runs), so a burst
   * of requests does not queue behind training kernels launched in its short
   * gaps. Same for every system. (Not from admission: a naive handover waits
   * for the running batch, which needs its queued kernels launched.)
   */
  priorityMs: number;
  /**
   * Compute sharing of the systems that have it (handover, naive) on a
   * device with one queue: while a request runs and for priorityMs after,
   * training micro-batches run at most this many rows (the single-queue
   * stand-in for an SM partition). Devices with lanes skip it.
   */
  shareRows: number;
  /**
   * Compute sharing of handover and naive on a device that can confine
   * training (capabilities.confine: CUDA green contexts): while a request runs
   * and for priorityMs after, training runs on about this share of the GPU's
   * SMs. 1: no confinement (training keeps every SM, inference only has its
   * higher-priority lane).
   */
  trainShare: number;
  /**
   * Time-sliced training for the systems with compute sharing (handover,
   * naive): auto slices on one-queue devices (WebGPU), replacing shareRows
   * there; on slices on CUDA too (for comparison). The priority window stays
   * (same for every system): in a burst it keeps training out between
   * requests; slicing bounds what a request waits for when training did get in.
   */
  slice: SliceMode;
  /** Share of the tightest SLO one slice of training work may take. */
  sliceFraction: number;
  /** After a request, training stays sliced this long (ms): more requests are expected. */
  expectMs: number;
  seed: number;
}

export const DEFAULT_TESTBED: TestbedSpec = {
  pageBytes: 64 << 10,
  arenaPages: 106,
  workspacePages: 2,
  architectures: [
    [64, 256, 256, 10],
    [64, 384, 128, 10],
  ],
  modelFiles: [],
  models: 8,
  train: { layers: [64, 256, 256, 10], microBatch: 32, effectiveBatch: 512, lr: 0.05 },
  maxInFlight: 1,
  priorityMs: 30,
  shareRows: 8,
  trainShare: 1,
  slice: 'auto',
  sliceFraction: 0.125,
  expectMs: 250,
  seed: 1,
};

export interface ModelInstance {
  name: string;
  architecture: number;
  onnx: Uint8Array;
  input: Record<string, TensorData>;
}

/** How reports name architecture i: the MLP's widths or the file's name. */
export function architectureLabel(spec: TestbedSpec, i: number): string {
  return spec.modelFiles.length ? basename(spec.modelFiles[i]!) : `MLP ${spec.architectures[i]!.join('-')}`;
}

export function architectureCount(spec: TestbedSpec): number {
  return spec.modelFiles.length || spec.architectures.length;
}

export function modelInstances(spec: TestbedSpec): ModelInstance[] {
  if (spec.modelFiles.length) return fileInstances(spec);
  return Array.from({ length: spec.models }, (_, i) => {
    const architecture = i % spec.architectures.length;
    const sizes = spec.architectures[architecture]!;
    const name = `mlp${architecture}-${i}`;
    const data = Float32Array.from({ length: sizes[0]! }, (_, k) => Math.sin(i * 31 + k));
    return { name, architecture, onnx: mlpOnnx({ sizes, seed: spec.seed * 100 + i, name }), input: { input: { type: 'float32', dims: [1, sizes[0]!], data } } };
  });
}

function fileInstances(spec: TestbedSpec): ModelInstance[] {
  const files = spec.modelFiles.map((path) => {
    if (!existsSync(path)) throw new UsageError(`model file not found: ${path}`);
    const onnx = new Uint8Array(readFileSync(path));
    const rand = seeded(spec.seed);
    // Symbolic dimensions (batch, sequence) are 1: one request, batch 1.
    return { onnx, stem: basename(path).replace(/\.onnx$/, ''), input: randomInputs(parseModel(onnx, path), () => 1, rand) };
  });
  return Array.from({ length: spec.models }, (_, i) => {
    const architecture = i % files.length;
    const f = files[architecture]!;
    return { name: `${f.stem}-${i}`, architecture, onnx: f.onnx, input: f.input };
  });
}

export interface Testbed {
  policy: SystemPolicy;
  arena: Arena;
  gate: Gate;
  store: ModelStore;
  trainer: Trainer | null;
  job: TrainingJob | null;
  memory: MemorySide;
  core: ColocationCore;
  instances: ModelInstance[];
  /** The system's compute sharing, if it has one on this device. */
  share: ComputeShare | null;
  /** One inference request: training launches are held while it runs. */
  execute(model: string): Promise<void>;
  destroy(): Promise<void>;
}

async function until(cond: () => boolean, ms: number, what: () => Error): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw what();
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Turns compute sharing on and off around requests. */
export interface ComputeShare {
  on(): void;
  off(): void;
  /** What it does, for the log. */
  what: string;
}

/**
 * The compute sharing of a system that has it (handover, naive): on one queue,
 * shorter training micro-batches (shareRows); with an inference lane, training
 * confined to part of the SMs when the device can (trainShare < 1), else none
 * (the lane's priority alone). The partition is made here, off the request path.
 */
export function computeShare(dev: GpuDevice, policy: SystemPolicy, trainer: Trainer | null, spec: TestbedSpec): ComputeShare | null {
  if (!policy.computeShare || !trainer) return null;
  const caps = dev.info.capabilities;
  if (!caps.lanes) return { on: () => trainer.shareCompute(spec.shareRows), off: () => trainer.shareCompute(null), what: `training micro-batches of at most ${spec.shareRows} rows while inference runs` };
  if (spec.trainShare >= 1) return null;
  if (!caps.confine) throw new UsageError(`a training share below 1 (${spec.trainShare}) needs a device that can confine training to part of the GPU; the ${dev.info.backend} backend cannot`);
  const granted = dev.confineTraining(spec.trainShare)!;
  dev.confineTraining(null);
  return { on: () => dev.confineTraining(spec.trainShare), off: () => dev.confineTraining(null), what: `training on ${(granted * 100).toFixed(1)}% of the GPU's compute while inference runs (asked ${(spec.trainShare * 100).toFixed(1)}%)` };
}

/** Time slicing as the compute sharing of a system: the gate does the work. */
function slicedShare(s: SlicingPolicy): ComputeShare {
  return { on() {}, off() {}, what: `training time-sliced: at most ${Math.round(s.sloFraction * 100)}% of the tightest SLO of training work queued while requests run or are expected (${s.expectMs} ms after one)` };
}

export async function buildTestbed(dev: GpuDevice, policy: SystemPolicy, spec: TestbedSpec, data: Dataset): Promise<Testbed> {
  const page = spec.pageBytes;
  const arena = new Arena(dev, { bytes: spec.arenaPages * page, pageBytes: page });
  const slicing = policy.computeShare && policy.training ? slicingFor(dev, spec.slice, { sloFraction: spec.sliceFraction, expectMs: spec.expectMs }) : null;
  const gate = new Gate(dev, { maxInFlight: spec.maxInFlight, slicing });
  const store = new ModelStore(arena);
  const instances = modelInstances(spec);
  const inputs = new Map(instances.map((m) => [m.name, m.input]));
  for (const m of instances) store.registerBytes(m.name, m.onnx);
  const largest = Math.max(...instances.map((m) => store.get(m.name)!.bytes));
  if (largest + spec.workspacePages * page > arena.bytes) throw new TestbedSizeError('the largest model plus the workspace', largest + spec.workspacePages * page, arena.bytes);
  // Compile every instance's kernels before training launches anything (a launch must not race a compile).
  for (const m of instances) {
    await store.load(m.name);
    await store.run(m.name, m.input);
    await store.unload(m.name);
  }
  let trainer: Trainer | null = null;
  let memory: MemorySide = new NoTraining();
  if (policy.training) {
    const t = spec.train;
    trainer = new Trainer(arena, gate, { layers: t.layers, optimizer: 'sgd', lr: t.lr, momentum: 0.9, weightDecay: 0, effectiveBatch: t.effectiveBatch, microBatch: t.microBatch, seed: spec.seed });
    trainer.init();
    await trainer.require(spec.workspacePages * page);
    // A trainer may drop its limit to what it holds: give back all but the workspace, so the core starts at 0.
    const extra = (arena.pageCount - arena.trainLimit - spec.workspacePages) * page;
    if (extra > 0) trainer.release(extra);
    memory = new TrainerMemory(trainer, policy.handover === 'wait-for-batch' ? 'wait-for-batch' : 'discard');
  }
  const usable = (arena.pageCount - spec.workspacePages) * page - (trainer ? trainer.staticBytes : 0);
  if (policy.inferenceShare === 0 && largest > usable) throw new TestbedSizeError('the largest model beside training', largest, usable);
  const core = await buildCore(policy, memory, new StoreModels(store), (arena.pageCount - spec.workspacePages) * page, { pageBytes: page });
  for (const m of instances) core.register(m.name);
  let sharing = 0;
  // With lanes (CUDA) the lane's priority and green contexts stay; slicing (--slice on) comes on top.
  const laneShare = dev.info.capabilities.lanes ? computeShare(dev, policy, trainer, spec) : null;
  const share = laneShare ?? (slicing ? slicedShare(slicing) : computeShare(dev, policy, trainer, spec));
  const endShare = () => {
    if (share && --sharing === 0) share.off();
  };
  let job: TrainingJob | null = null;
  if (trainer) {
    job = new TrainingJob(trainer, data, { lossEvery: 50, maxTimeline: 100_000 });
    job.start();
    const tr = trainer;
    await until(() => tr.stats.steps >= 1 || job!.error !== null, 120_000, () => new SystemRunError(policy.name, 'training', `no training step finished within 120 s${tr.stats.paused ? `: training is paused, its share of the arena (${arena.trainLimit} pages, ${tr.staticBytes} bytes of static state) holds no micro-batch; give the arena more pages (--arena-pages)` : ''}`));
    if (job.error) throw new SystemRunError(policy.name, 'training', String((job.error as Error).message ?? job.error));
  }
  return {
    policy, arena, gate, store, trainer, job, memory, core, instances, share,
    async execute(model: string) {
      gate.hold();
      if (share && sharing++ === 0) share.on();
      const t0 = performance.now();
      try {
        await store.run(model, inputs.get(model)!);
        slicing?.inferenceRan(performance.now() - t0);
      } finally {
        const end = () => {
          gate.resume();
          endShare();
        };
        if (spec.priorityMs > 0) setTimeout(end, spec.priorityMs);
        else end();
      }
    },
    async destroy() {
      core.stopTicking();
      if (trainer) {
        trainer.release(arena.bytes); // never leave it paused
        await job!.stop();
      }
      await gate.idle().catch(() => undefined);
      for (const m of instances) if (store.get(m.name)?.state === 'warm') await store.unload(m.name).catch(() => undefined);
      arena.destroy();
    },
  };
}
