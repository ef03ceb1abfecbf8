// What the elastic trainer (trainer.ts) is configured with, reports and is
// extended by.
import type { Range } from '../core/device.js';

/** What every model's trainer is configured with. */
export interface TrainerOptions {
  effectiveBatch: number;
  /** Largest micro-batch; memory may make it smaller. */
  microBatch: number;
  seed: number;
  /**
   * Activations in allocations of about this many bytes (each view whole in one; at least the largest view of the
   * largest micro-batch), not one. Where free pages are scattered, the arena maps a training allocation's pages into
   * a view of its own (CUDA VMM), and mapping hundreds of 2 MiB pages holds the host for milliseconds each time the
   * micro-batch changes (512 MiB: 11 ms to map, 6 ms to unmap on the H200); chunks mostly find runs side by side
   * and need no mapping (docs/results-scale.md, round 8). Unset: one allocation (as large as a device allows).
   */
  activationChunkBytes?: number;
}

/** The MLP trainer's configuration (the default model). */
export interface TrainConfig extends TrainerOptions {
  layers: number[];
  optimizer: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** What a checkpoint holds of the trainer: parameters, optimizer states and the step count. */
export interface TrainerSnapshot {
  steps: number;
  params: Float32Array;
  states: Float32Array[];
}

/** Data-parallel training (src/parallel): gradients summed over ranks once per effective batch. */
export interface GradientReduce {
  /** Samples of the effective batch over all ranks, given this rank's share: gradients scale by 1/total. */
  total(localSamples: number): number;
  /** Awaited once this rank's gradients are complete, outside the update phase (may wait for other ranks). */
  agree(): Promise<void>;
  /** Called inside the update phase before the optimizer: launches the sum of `grad` over ranks, in place. */
  launch(grad: Range): void;
}

export interface HandoverReport {
  requestedBytes: number;
  freedBytes: number;
  /** Pages that left training's limit (set in one step, so a concurrent release cannot blur it): what inference gained. */
  givenPages: number;
  /** A micro-batch was running and was dropped. */
  discarded: boolean;
  waitedForUpdate: boolean;
  /** Signal to gate closed. */
  closeMs: number;
  /** Dropping the micro-batch and freeing its activations. */
  discardMs: number;
  /** Reclaim of the freed pages and their zero-fill, finished on the GPU. */
  reclaimMs: number;
  totalMs: number;
  microBatch: number;
  /** Bytes training could not give (its static state alone exceeds the limit). */
  shortBytes: number;
}

export interface TrainerStats {
  samples: number;
  steps: number;
  discards: number;
  /** Micro-batches begun and ended, committed or discarded (the count microBatchMs is spread over). */
  microBatches: number;
  /** Milliseconds in discarded micro-batches, from their start to the discard. */
  wastedMs: number;
  /** Milliseconds in every micro-batch, committed or discarded: wastedMs / microBatchMs is the wasted share of training compute. */
  microBatchMs: number;
  microBatchMin: number;
  microBatchMax: number;
  microBatch: number;
  paused: boolean;
}

/** How a trainer's steps reach the GPU. */
export interface TrainerTuning {
  /** Gradient launches per command buffer (null: by device, 1 on a CPU device, 4 on a hardware GPU). */
  launchesPerSubmit: number | null;
  /**
   * Fewer host round trips a step (each idles the GPU while the host learns
   * that work ended): the step's zero-fill of the gradient and loss goes with
   * the first micro-batch's gradient launches (a discarded first micro-batch
   * zero-fills again when it reruns; nothing was accumulated yet), and the
   * optimizer update goes in the last micro-batch's update phase (both
   * phases are atomic). false: a phase of their own each, as before.
   */
  mergePhases: boolean;
  /**
   * A micro-batch's update phase ends once its kernels are launched, not once
   * they have run (Gate.endUpdate wait: false): the next micro-batch queues
   * behind the update instead of the GPU idling for a host round trip.
   * null: by device, on where training has one queue (no lanes; WebGPU, the
   * simulator), off on CUDA (its lanes' behaviour is unchanged).
   */
  pipelineUpdates?: boolean | null;
  /**
   * With mergePhases, a step of one micro-batch updates from the micro-batch
   * gradient (no zero-fill of the accumulator, no axpy into it: one pass over
   * the parameters fewer, bit-identical: 0 + g = g), sums its loss with the
   * gradient and reads it while the update runs. null: by device, as
   * pipelineUpdates.
   */
  fuseSingleMicroBatch?: boolean | null;
  /**
   * Begin no micro-batch while inference holds the gate (its priority window):
   * one begun then would wait out the window with its activations held, and a
   * require meanwhile would discard it; between micro-batches a require
   * discards nothing, and a deferred require gets its pages at once. false:
   * begin at once, the kernels queue behind the window (as before).
   */
  startWhenUnheld: boolean;
}

/** One micro-batch as it ended (Trainer.onMicroBatch): performance.now() ms. */
export interface MicroBatchRecord {
  samples: number;
  startMs: number;
  endMs: number;
  discarded: boolean;
}
