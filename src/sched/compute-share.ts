// Compute sharing, the design's SM partition, as policy: while inference runs
// (and for the priority window after), training gets only a slice of the GPU.
// On a device with one queue the slice is shorter training micro-batches
// (`shareRows` rows); on a device with an inference lane that can confine
// training (CUDA green contexts) it is about `trainShare` of the SMs; with a
// lane that cannot confine, the lane's priority alone. Baselines share compute
// the default way (whatever the device does).
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import type { SlicingPolicy } from '../core/slicing.js';
import type { SystemPolicy } from './systems.js';

/** Turns compute sharing on and off around requests. */
export interface ComputeShare {
  on(): void;
  off(): void;
  /** What it does, for the log. */
  what: string;
}

/** What the sharing needs from the trainer: a cap on its micro-batch rows. */
export interface RowCapped {
  shareCompute(rows: number | null): void;
}

export interface ShareOptions {
  /** One-queue devices: training micro-batches of at most this many rows while inference runs. */
  shareRows: number;
  /** Devices that confine training: its share of the SMs while inference runs (1: no confinement). */
  trainShare: number;
  /** Time slicing on the gate (src/core/slicing.ts): where it is on, it replaces the row cap on one queue. */
  slicing?: SlicingPolicy | null;
}

/** Time slicing as the compute sharing of a system: the gate does the work. */
function slicedShare(s: SlicingPolicy): ComputeShare {
  return { on() {}, off() {}, what: `training time-sliced: at most ${Math.round(s.sloFraction * 100)}% of the tightest SLO of training work queued while requests run or are expected (${s.expectMs} ms after one)` };
}

/** The compute sharing of a system that has it (handover, naive) on this device; the partition is made here, off the request path. */
export function computeShare(dev: GpuDevice, policy: SystemPolicy, trainer: RowCapped | null, o: ShareOptions): ComputeShare | null {
  if (!policy.computeShare || !trainer) return null;
  const caps = dev.info.capabilities;
  if (!caps.lanes && o.slicing) return slicedShare(o.slicing);
  if (!caps.lanes) return { on: () => trainer.shareCompute(o.shareRows), off: () => trainer.shareCompute(null), what: `training micro-batches of at most ${o.shareRows} rows while inference runs` };
  // With lanes (CUDA) the lane's priority and green contexts stay; slicing (slice 'on') comes on top in the gate.
  if (o.trainShare >= 1) return o.slicing ? slicedShare(o.slicing) : null;
  if (!caps.confine) throw new UsageError(`a training share below 1 (${o.trainShare}) needs a device that can confine training to part of the GPU; the ${dev.info.backend} backend cannot`);
  const granted = dev.confineTraining(o.trainShare)!;
  dev.confineTraining(null);
  return { on: () => dev.confineTraining(o.trainShare), off: () => dev.confineTraining(null), what: `training on ${(granted * 100).toFixed(1)}% of the GPU's compute while inference runs (asked ${(o.trainShare * 100).toFixed(1)}%)` };
}
