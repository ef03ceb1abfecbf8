// Training's side as the elastic trainer behaves at its micro-batch cap, in
// bytes: static state, activations of `perSample` bytes a sample, a largest
// micro-batch `cap`, and a limit that requires lower and releases raise. A
// require that leaves training holding more than its new limit discards the
// running micro-batch (counted); the micro-batch grows only at a boundary
// (`boundary()`), as the trainer's does. The scheduler tests' model of the
// H200 runs (docs/results-scale.md, round 6c: the cap at 32).
import type { Headroom, MemorySide } from '../../src/sched/core.js';

export class CappedTraining implements MemorySide {
  discards = 0;
  requires: number[] = [];
  releases: number[] = [];
  /** The micro-batch held now (its activations are perSample each). */
  microBatch = 0;
  /** Boundaries spent at each micro-batch (the report's training by micro-batch). */
  readonly atBatch = new Map<number, number>();
  private deferred: { free: () => void }[] = [];

  constructor(
    public limit: number,
    readonly staticBytes: number,
    readonly perSample: number,
    readonly cap: number,
  ) {
    this.microBatch = this.fit();
  }

  /** The largest micro-batch the limit allows now. */
  fit(): number {
    return Math.max(0, Math.min(this.cap, Math.floor((this.limit - this.staticBytes) / this.perSample)));
  }

  private get held(): number {
    return this.staticBytes + this.microBatch * this.perSample;
  }

  /** A micro-batch ends: the next is sized to the limit; deferred requires waiting on it are free. */
  boundary(): void {
    this.microBatch = this.fit();
    this.atBatch.set(this.microBatch, (this.atBatch.get(this.microBatch) ?? 0) + 1);
    for (const d of this.deferred.splice(0)) d.free();
  }

  private lower(bytes: number): number {
    const next = Math.max(this.staticBytes, this.limit - bytes);
    const given = this.limit - next;
    this.limit = next;
    return given;
  }

  async require(bytes: number): Promise<{ freedBytes: number; discarded: boolean }> {
    this.requires.push(bytes);
    const freedBytes = this.lower(bytes);
    const discarded = this.held > this.limit;
    if (discarded) {
      this.discards++;
      this.microBatch = this.fit();
    }
    return { freedBytes, discarded };
  }

  async yieldAtBoundary(bytes: number): Promise<{ freedBytes: number; free: Promise<void> }> {
    const freedBytes = this.lower(bytes);
    const free = this.held <= this.limit ? Promise.resolve() : new Promise<void>((r) => this.deferred.push({ free: r }));
    return { freedBytes, free };
  }

  release(bytes: number): number {
    this.releases.push(bytes);
    this.limit += bytes;
    return bytes;
  }

  atMinimum(): boolean {
    return this.limit <= this.staticBytes;
  }

  wantsMemory(): boolean {
    return this.fit() < this.cap;
  }

  headroom(): Headroom {
    const room = this.limit - this.staticBytes;
    const fit = this.fit();
    return {
      spareBytes: Math.max(0, room - this.cap * this.perSample),
      nextBytes: fit >= this.cap ? 0 : Math.max(0, (fit + 1) * this.perSample - room),
      capBytes: Math.max(0, this.cap * this.perSample - room),
    };
  }
}
