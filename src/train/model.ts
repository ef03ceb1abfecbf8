// What the elastic trainer needs from a model: its parameter layout, its
// forward/backward/update as launch lists, and the exact bytes one
// micro-batch's activations take. The trainer owns everything else
// (accumulation, discard at REQUIRE, release, update phase, data-parallel
// reduction), so every model gets them unchanged.
import type { TrainAllocation } from '../core/allocation.js';
import type { Bindable, GpuDevice, Launch } from '../core/device.js';
import type { ActivationMemory } from './activation-memory.js';

/** The buffers of the update phase (all parameter-shaped but `scratch`). */
export interface OptimizerBuffers {
  params: TrainAllocation;
  /** The effective batch's gradient (mean over its samples). */
  grad: TrainAllocation;
  /** One or two optimizer states (momentum; Adam's first and second moments). */
  states: TrainAllocation[];
  /** The model's static scratch (modelScratchBytes), e.g. the gradient norm. */
  scratch: TrainAllocation | null;
}

/** A micro-batch's launch lists, bound to the parameters and its activations. */
export interface BoundMicroBatch<D> {
  /** The sample count the activations were laid out for (runs use take <= b). */
  readonly b: number;
  /** Writes the inputs of `batch` (sample indices of `data`) into the activations. */
  upload(dev: GpuDevice, data: D, batch: Uint32Array): void;
  /** Forward and backward for `take` samples; the gradient (scaled by `scale`) overwrites the micro-batch gradient. */
  gradient(take: number, scale: number): Launch[];
  /** Forward only, for evaluation. */
  forward(take: number): Launch[];
  /** Adds scale * (sum over the `take` samples of each sample's mean loss) to `acc` (one f32). */
  lossSum(take: number, scale: number, acc: Bindable): Launch;
  /** After forward(take): the summed loss of the samples and how many were predicted right (null: no notion of it). */
  score(dev: GpuDevice, data: D, batch: Uint32Array): Promise<{ loss: number; correct: number | null }>;
}

export interface TrainingModel<D> {
  /** What it is, for logs ("13-37-10 MLP", "GPT 2x64"). */
  readonly name: string;
  /** Bytes of one parameter-shaped allocation (parameters, gradients, each optimizer state). */
  readonly paramBytes: number;
  /** Parameters, without alignment padding. */
  readonly paramCount: number;
  /** Optimizer states the update keeps (parameter-shaped each). */
  readonly optimizerStates: number;
  /** Static scratch the update needs beyond the states (0: none). */
  readonly scratchBytes: number;
  /** Contents of the whole parameter allocation at step 0 (padding zero). */
  initialParameters(seed: number): Float32Array;
  /** Exact bytes of the activations of a micro-batch of b samples (their views, each 256-byte aligned). */
  activationBytes(b: number): number;
  /** The byte sizes of those views, in the order bind() lays them out (at 256-byte-aligned running offsets). */
  activationPlan(b: number): number[];
  /** Samples in a data set (for range checks). */
  samples(data: D): number;
  bind(params: TrainAllocation, microGrad: TrainAllocation, acts: ActivationMemory, b: number): BoundMicroBatch<D>;
  /** The optimizer step `t` (counting from 1) over the effective batch's gradient. */
  update(buf: OptimizerBuffers, t: number): Launch[];
}

/** The largest b <= cap whose activations fit in `bytes` (0 when none fits); activation bytes grow with b. */
export function largestFitting(activationBytes: (b: number) => number, bytes: number, cap: number): number {
  let lo = 0;
  let hi = cap;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (activationBytes(mid) <= bytes) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
