// One rank's side of a data-parallel step, as the Trainer's GradientReduce:
// its slice of each effective batch (shares by measured throughput), the
// agreement once its gradients are complete, then the all-reduce, launched
// inside the update phase only after every rank has agreed.
import type { Range } from '../core/device.js';
import type { GradientReduce } from '../train/trainer.js';
import type { Agreement } from './exchange.js';
import { splitBatch, ThroughputMeter, type RankLoad } from './redistribute.js';

export interface DataParallelOptions {
  rank: number;
  ranks: number;
  /** Split by the loads the ranks exchanged (false: even shares). */
  redistribute: boolean;
  /** The largest micro-batch that fits this rank now (its load report). */
  microBatch: () => number;
  /** Launches the sum of `grad` over ranks (NCCL on the GPU). */
  allReduce: (grad: Range) => void;
}

export class DataParallelStep implements GradientReduce {
  private loads: RankLoad[];
  private batch = 0;
  private local = 0;
  private started = 0;
  readonly meter = new ThroughputMeter();
  /** Steps agreed so far. */
  step = 0;
  /** Milliseconds each agreement waited for the other ranks. */
  readonly waitMs: number[] = [];

  constructor(readonly o: DataParallelOptions, readonly agreement: Agreement<RankLoad>) {
    this.loads = Array.from({ length: o.ranks }, () => ({ samplesPerSec: 1, microBatch: 1 }));
  }

  /** This rank's samples of the next effective batch (the same split on every rank). */
  slice(batch: Uint32Array): Uint32Array {
    const shares = this.shares(batch.length);
    const first = shares.slice(0, this.o.rank).reduce((s, v) => s + v, 0);
    this.batch = batch.length;
    this.local = shares[this.o.rank]!;
    this.started = performance.now();
    return batch.subarray(first, first + this.local);
  }

  shares(samples: number): number[] {
    // A rank paused when it reported still finishes its share once memory is
    // back (the others wait at the agreement), so the split uses speeds only.
    return splitBatch(samples, this.o.redistribute ? this.loads.map((l) => ({ ...l, microBatch: Math.max(1, l.microBatch) })) : this.loads.map(() => ({ samplesPerSec: 1, microBatch: 1 })));
  }

  total(): number {
    return this.batch;
  }

  async agree(): Promise<void> {
    const t = performance.now();
    this.meter.record(this.local, (t - this.started) / 1000);
    this.loads = await this.agreement.arrive(this.o.rank, this.step, { samplesPerSec: this.meter.samplesPerSec, microBatch: this.o.microBatch() });
    this.waitMs.push(performance.now() - t);
    this.step++;
  }

  launch(grad: Range): void {
    this.o.allReduce(grad);
  }
}
