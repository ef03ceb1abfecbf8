// A model's weight pool: the initializers the GPU reads, packed on 256-byte
// boundaries into one infer-owned arena allocation, uploaded group by group
// (a group = the weights first needed by one step) so a run can start on
// layer k while layer k+1 is still being decoded and written.
import type { Allocation } from '../core/allocation.js';
import type { Arena } from '../core/arena.js';
import type { Bindable, GpuDevice } from '../core/device.js';
import type { Initializer } from '../onnx/graph.js';
import { alignUp, deviceBytes, type Plan } from './plan.js';
import { toDeviceWords } from './convert.js';

export class WeightPool {
  readonly offsets = new Map<string, number>();
  readonly groups: string[][];
  readonly bytes: number;
  alloc: Allocation<'infer'> | null = null;
  /** Groups written so far; a run waits for group k before step k's launches. */
  uploaded = 0;
  private waiters: (() => void)[] = [];
  /** Why the upload stopped, for runs waiting on a group that will never come. */
  private failure: unknown = null;
  private readonly groupIndex = new Map<string, number>();

  constructor(plan: Plan, private readonly inits: Map<string, Initializer>) {
    let at = 0;
    this.groups = plan.steps.map((s) => s.weights);
    this.groups.forEach((g, k) => g.forEach((name) => this.groupIndex.set(name, k)));
    for (const name of plan.weightOrder) {
      this.offsets.set(name, at);
      at += alignUp(deviceBytes(inits.get(name)!.dims));
    }
    this.bytes = Math.max(at, 256);
  }

  /** The upload group that writes a weight. */
  groupOf(name: string): number {
    return this.groupIndex.get(name) ?? -1;
  }

  get names(): Set<string> {
    return new Set(this.offsets.keys());
  }

  /** A binding of one weight that resolves the pool's range at launch time (the pool may move). */
  binding(name: string): Bindable {
    const off = this.offsets.get(name)!;
    const bytes = deviceBytes(this.inits.get(name)!.dims);
    return {
      range: () => {
        const r = this.alloc!.range();
        return { backing: r.backing, offset: r.offset + off, bytes };
      },
    };
  }

  allocate(arena: Arena, label: string): void {
    this.failure = null;
    this.alloc = arena.allocate('infer', this.bytes, `${label}:weights`);
    this.uploaded = 0;
  }

  /** Decodes and writes group k; host copies of the weights are dropped after the write. */
  uploadGroup(device: GpuDevice, k: number): void {
    const base = this.alloc!.range();
    for (const name of this.groups[k] ?? []) {
      const init = this.inits.get(name)!;
      const words = toDeviceWords(init.value, name);
      device.write({ backing: base.backing, offset: base.offset + this.offsets.get(name)!, bytes: words.byteLength }, words);
      init.release();
    }
    this.uploaded = k + 1;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once group k is written (at once when it already is); rejects if the upload failed. */
  ready(k: number): Promise<void> | null {
    if (this.uploaded > k) return null;
    return new Promise((resolve, reject) => {
      const check = () => (this.failure ? reject(this.failure) : this.uploaded > k ? resolve() : this.waiters.push(check));
      check();
    });
  }

  /** The upload failed: wake every waiting run with the error. */
  fail(e: unknown): void {
    this.failure = e;
    for (const w of this.waiters.splice(0)) w();
  }

  release(arena: Arena): void {
    if (this.alloc) arena.free(this.alloc);
    this.alloc = null;
    this.uploaded = 0;
  }
}
