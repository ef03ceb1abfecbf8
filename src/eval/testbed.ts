// One system of the evaluation on a device: the colocation system (src/system)
// built from the evaluation's spec, with N model instances (duplicates of a
// few MLP architectures made in code, or of ONNX files) and training on the
// digits running in the background. Every system of a run gets the same
// testbed spec; only the policy differs.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { SliceMode } from '../core/slicing.js';
import type { GpuDevice } from '../core/device.js';
import { randomInputs } from '../infer/random-inputs.js';
import type { TensorData } from '../infer/store.js';
import { parseModel } from '../onnx/loader.js';
import { mlpOnnx } from '../colocate/mlp-model.js';
import type { SystemPolicy, Tuned } from '../sched/systems.js';
import { buildSystem, TrainingStartError, type ColocationSystem, type SystemSpec } from '../system/index.js';
import { seeded, type Dataset } from '../train/data.js';
import { SystemRunError } from './errors.js';
import { evalTraining, type GptTrain } from './train-job.js';
import type { WarmupMode } from './warmup.js';

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
  /** Train this GPT instead of the MLP (src/eval/train-job.ts); train's batch sizes apply. */
  gpt?: GptTrain | null;
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
   * there; on slices on CUDA too (for comparison). With slicing on, training
   * pauses while requests come in a burst (mean gap below priorityMs, the
   * arrival-rate predictor) and the priority window after a request is not
   * kept for those systems (src/sched/priority.ts): the pause does its work;
   * slicing bounds what a request waits for when training did get in.
   */
  slice: SliceMode;
  /** Share of the tightest SLO one slice of training work may take. */
  sliceFraction: number;
  /** After a request, training stays sliced this long (ms): more requests are expected. */
  expectMs: number;
  /** With slicing: training pauses while requests come closer than this on average (a burst), ms. */
  burstGapMs: number;
  seed: number;
  /**
   * Before the measured window, alike for every system (warmup.ts): 'touch'
   * requests each model once through the system, then lets it settle for
   * warmupSettleMs; 'none' measures from the first request (first-touch loads
   * included).
   */
  warmup: WarmupMode;
  warmupSettleMs: number;
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
  // The largest micro-batch, the same for every system: handover's fits beside every model (35
  // pages free with all eight resident), a static partition's is held smaller by its share (SP-75: 10).
  train: { layers: [64, 256, 256, 10], microBatch: 128, effectiveBatch: 512, lr: 0.05 },
  maxInFlight: 1,
  priorityMs: 30,
  shareRows: 8,
  trainShare: 1,
  slice: 'auto',
  sliceFraction: 0.25,
  expectMs: 250,
  burstGapMs: 60,
  seed: 1,
  // Steady state, as the paper measures: first-touch loads of a cold process are start-up, not policy (every system alike).
  warmup: 'touch',
  warmupSettleMs: 2000,
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
  system: ColocationSystem;
  instances: ModelInstance[];
  /** The batch-1 input each instance's requests carry. */
  inputs: Map<string, Record<string, TensorData>>;
}

/** The colocation system of one evaluation run: every system of a run gets the same spec; only the policy differs. */
export function testbedSpec(dev: GpuDevice, policy: SystemPolicy, tuned: Tuned, spec: TestbedSpec, data: Dataset, instances: ModelInstance[]): SystemSpec {
  return {
    device: dev,
    arena: { bytes: spec.arenaPages * spec.pageBytes, pageBytes: spec.pageBytes },
    maxInFlight: spec.maxInFlight,
    workspacePages: spec.workspacePages,
    training: evalTraining(spec.train, spec.gpt ?? null, spec.seed, data),
    models: instances.map((m) => ({ name: m.name, onnx: m.onnx, warmup: m.input })),
    // Each file's weights decoded once at setup (the instances share them): a cold start is only the upload.
    store: { hostWeights: 'keep' },
    // Round 7: the free reserve beyond W goes to a training below its cap (no model unloaded; docs/results-scale.md).
    policy: { system: policy.name, tuned: { lendFreeReserve: true, ...tuned }, priorityMs: spec.priorityMs, shareRows: spec.shareRows, trainShare: spec.trainShare, slice: spec.slice, sliceFraction: spec.sliceFraction, expectMs: spec.expectMs, burstGapMs: spec.burstGapMs },
  };
}

/** Builds and starts the system; resolves once training has finished a step. */
export async function buildTestbed(dev: GpuDevice, policy: SystemPolicy, tuned: Tuned, spec: TestbedSpec, data: Dataset): Promise<Testbed> {
  const instances = modelInstances(spec);
  const system = await buildSystem(testbedSpec(dev, policy, tuned, spec, data, instances));
  system.start({ tickMs: null }); // the trace driver ticks the core
  try {
    await system.trainingStarted();
  } catch (e) {
    await system.destroy();
    if (e instanceof TrainingStartError) throw new SystemRunError(policy.name, 'training', e.message);
    throw e;
  }
  return { system, instances, inputs: new Map(instances.map((m) => [m.name, m.input])) };
}
