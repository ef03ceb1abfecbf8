// One data-parallel rank, simulated on the CPU with the real Gate: gradient
// accumulation over micro-batches, discards on REQUIRE, the agreement before
// the all-reduce, and throughput-based redistribution of the effective batch.
import { GateClosedError } from '../core/errors.js';
import { Gate } from '../core/gate.js';
import type { Agreement } from './exchange.js';
import { splitBatch, ThroughputMeter, type RankLoad } from './redistribute.js';
import { busy, SimDevice, type SimAllReduce } from '../devices/sim/device.js';

export interface SimRankOptions {
  rank: number;
  ranks: number;
  params: number;
  effective: number;
  lr: number;
  /** Simulated milliseconds of GC per sample on this rank (its inference load). */
  msPerSample: number;
  /** 'agreement': the protocol; 'naive': launch the all-reduce as soon as GC ends. */
  mode: 'agreement' | 'naive';
  redistribute: boolean;
}

/** The gradient one sample contributes (deterministic in sample and parameters). */
export function sampleGrad(sample: number, params: Float64Array, out: Float64Array): void {
  for (let i = 0; i < params.length; i++) out[i]! += Math.sin(sample * 0.37 + i) + 0.01 * params[i]!;
}

/** The same training in one process, in float64: the parameters every rank must end with. */
export function serialReference(steps: number, effective: number, lr: number, params: number): Float64Array {
  const p = new Float64Array(params).map((_, i) => Math.cos(i));
  for (let step = 0; step < steps; step++) {
    const g = new Float64Array(params);
    for (let s = 0; s < effective; s++) sampleGrad(step * effective + s, p, g);
    for (let i = 0; i < params; i++) p[i]! -= (lr * g[i]!) / effective;
  }
  return p;
}

export class SimRank {
  readonly device = new SimDevice();
  readonly gate = new Gate(this.device, { maxInFlight: 2 });
  readonly params: Float64Array;
  private readonly grad: Float64Array;
  microBatch = 8;
  private resume: (() => void)[] = [];
  private adjust: Promise<void> = Promise.resolve();
  readonly meter = new ThroughputMeter();
  discards = 0;
  requireMs: number[] = [];
  /** Samples committed per step, for checking that none is lost or doubled. */
  readonly committed = new Map<number, number[]>();

  constructor(readonly o: SimRankOptions, readonly agreement: Agreement<RankLoad>, readonly collective: SimAllReduce) {
    this.params = new Float64Array(o.params).map((_, i) => Math.cos(i));
    this.grad = new Float64Array(o.params);
  }

  /** REQUIRE: close the gate (discarding GC in progress), shrink to `microBatch`, reopen. */
  require(microBatch: number): Promise<number> {
    const job = this.adjust.then(async () => {
      const t0 = performance.now();
      await this.gate.close();
      this.microBatch = microBatch;
      this.gate.open();
      const ms = performance.now() - t0;
      this.requireMs.push(ms);
      return ms;
    });
    this.adjust = job.then(() => undefined);
    return job;
  }

  release(microBatch: number): void {
    this.microBatch = microBatch;
    this.resume.splice(0).forEach((f) => f());
  }

  /** Runs `steps` optimizer steps; shares of each step's samples follow the exchanged loads. */
  async train(steps: number): Promise<void> {
    let shares = Array.from({ length: this.o.ranks }, (_, r) => Math.floor(this.o.effective / this.o.ranks) + (r < this.o.effective % this.o.ranks ? 1 : 0));
    for (let step = 0; step < steps; step++) {
      const first = step * this.o.effective + shares.slice(0, this.o.rank).reduce((s, v) => s + v, 0);
      const mine = shares[this.o.rank]!;
      this.grad.fill(0);
      const t0 = performance.now();
      for (let done = 0; done < mine; ) {
        await this.adjust;
        if (this.microBatch === 0) {
          await new Promise<void>((r) => this.resume.push(r));
          continue;
        }
        const take = Math.min(this.microBatch, mine - done);
        const micro = new Float64Array(this.o.params);
        try {
          this.gate.beginCompute();
          for (let s = 0; s < take; s++) {
            const sample = first + done + s;
            this.gate.enqueue(this.device.op(async () => {
              await busy(this.o.msPerSample * Math.random() * 2);
              sampleGrad(sample, this.params, micro);
            }));
          }
          await this.gate.beginUpdate();
          this.gate.enqueue(this.device.op(async () => {
            for (let i = 0; i < micro.length; i++) this.grad[i]! += micro[i]!;
          }));
          await this.gate.endUpdate();
        } catch (e) {
          if (!(e instanceof GateClosedError)) throw e;
          this.discards++;
          continue;
        }
        const list = this.committed.get(step) ?? [];
        for (let s = 0; s < take; s++) list.push(first + done + s);
        this.committed.set(step, list);
        done += take;
      }
      this.meter.record(mine, (performance.now() - t0) / 1000);
      const load: RankLoad = { samplesPerSec: this.meter.samplesPerSec, microBatch: this.microBatch };
      const loads = this.o.mode === 'agreement' ? await this.agreement.arrive(this.o.rank, step, load) : null;
      await this.update(step);
      // A rank paused at report time still finishes its share once memory
      // returns (the others wait at the agreement meanwhile), so the split
      // uses speeds only here.
      if (loads && this.o.redistribute) shares = splitBatch(this.o.effective, loads.map((l) => ({ ...l, microBatch: Math.max(1, l.microBatch) })));
    }
  }

  /** The model update: all-reduce of the accumulated gradients, then SGD; atomic. */
  private async update(step: number): Promise<void> {
    for (;;) {
      await this.adjust;
      try {
        await this.gate.beginUpdate();
      } catch (e) {
        if (e instanceof GateClosedError) continue;
        throw e;
      }
      const grad = Float64Array.from(this.grad);
      this.gate.enqueue(this.device.op(async () => {
        const sum = await this.collective.allReduce(`step${step}`, grad);
        for (let i = 0; i < this.params.length; i++) this.params[i]! -= (this.o.lr * sum[i]!) / this.o.effective;
      }));
      await this.gate.endUpdate();
      return;
    }
  }
}
