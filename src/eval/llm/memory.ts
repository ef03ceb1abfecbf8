// The LLM testbed's memory side, recorded: each REQUIRE and RELEASE the
// batcher makes, timestamped, over the system's own policy (the elastic
// trainer for handover; nothing to take for the static partitions and
// Infer-Only, whose KV capacity is fixed when the testbed is built).
import type { MemorySide } from '../../sched/core.js';
import type { KvMark } from './result.js';

export class RecordedMemory implements MemorySide {
  readonly marks: KvMark[] = [];
  t0 = performance.now();

  constructor(
    readonly inner: MemorySide,
    /** Runs a require (inference's hold on the gate lifted, see priority.ts). */
    private readonly around: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {}

  async require(bytes: number): Promise<{ freedBytes: number }> {
    const r = await this.around(() => this.inner.require(bytes));
    this.marks.push({ t: (performance.now() - this.t0) / 1000, kind: 'require', bytes: r.freedBytes });
    return r;
  }

  release(bytes: number): void {
    this.inner.release(bytes);
    this.marks.push({ t: (performance.now() - this.t0) / 1000, kind: 'release', bytes });
  }

  atMinimum(): boolean {
    return this.inner.atMinimum();
  }
}
