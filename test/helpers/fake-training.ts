// Training's side of the core as a number: `elastic` bytes it can give; every
// require and release is recorded. The scheduler tests' fake.
import type { MemorySide } from '../../src/sched/core.js';

export class FakeTraining implements MemorySide {
  requires: number[] = [];
  releases: number[] = [];
  constructor(public elastic: number) {}
  /** Takes up to `bytes` of the elastic bytes; returns what it took. */
  protected take(bytes: number): number {
    const freed = Math.min(bytes, this.elastic);
    this.elastic -= freed;
    return freed;
  }
  async require(bytes: number) {
    this.requires.push(bytes);
    return { freedBytes: this.take(bytes) };
  }
  release(bytes: number) {
    this.releases.push(bytes);
    this.elastic += bytes;
    return bytes;
  }
  atMinimum() {
    return this.elastic <= 0;
  }
  /** Set by a test to say whether training could use more memory (absent: the core does not ask). */
  wantsMemory?: () => boolean;
}
