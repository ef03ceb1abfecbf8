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

/** A weight as the device words written at load (the host copy a cache keeps). */
export type DeviceWords = Float32Array | Int32Array | Uint32Array;

/**
 * Decoded device words per model file (its bytes), shared by every instance
 * registered from those bytes: with a cache, a reload is only the upload
 * (no protobuf decode, no conversion on the event loop), at the price of one
 * host copy of each file's weights. Dropped with the bytes.
 */
const hostWords = new WeakMap<Uint8Array, Map<string, DeviceWords>>();

export function hostWordsFor(bytes: Uint8Array): Map<string, DeviceWords> {
  let m = hostWords.get(bytes);
  if (!m) hostWords.set(bytes, (m = new Map()));
  return m;
}

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

  /** Host words decoded at this pool's uploads so far (a cache hit decodes nothing). */
  decodes = 0;

  /** `cache`: keep each weight's device words there after its first decode (see hostWordsFor); null: decode at every load. */
  constructor(plan: Plan, private readonly inits: Map<string, Initializer>, private readonly cache: Map<string, DeviceWords> | null = null) {
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
      const words = this.words(name);
      device.write({ backing: base.backing, offset: base.offset + this.offsets.get(name)!, bytes: words.byteLength }, words);
    }
    this.uploaded = k + 1;
    for (const w of this.waiters.splice(0)) w();
  }

  /** The weight's device words: from the cache, else decoded (and cached where there is one; the decoded tensor is dropped). */
  private words(name: string): DeviceWords {
    const hit = this.cache?.get(name);
    if (hit) return hit;
    const init = this.inits.get(name)!;
    const words = toDeviceWords(init.value, name);
    init.release();
    this.decodes++;
    this.cache?.set(name, words);
    return words;
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
