// A model's weight pool: the initializers the GPU reads, packed on 256-byte
// boundaries into one infer-owned arena allocation, uploaded group by group
// (a group = the weights first needed by one step) so a run can start on
// layer k while layer k+1 is still being decoded and written, or (from host
// weights) while it is still on its way over the bus.
import type { Allocation } from '../core/allocation.js';
import type { Arena } from '../core/arena.js';
import type { Bindable, GpuDevice, UploadTicket } from '../core/device.js';
import type { Initializer } from '../onnx/graph.js';
import { alignUp, deviceBytes, type Plan } from './plan.js';
import { toDeviceWords } from './convert.js';

/**
 * One model file's weights in host memory the device uploads from directly
 * (GpuDevice.hostBuffer: pinned on CUDA), laid out as the device's weight
 * pool is (same plan, same offsets), so a reload is one DMA per layer group:
 * no protobuf decode, no conversion, no staging copy. Shared by every
 * instance registered from the same bytes on one device (acquire), freed
 * when the last one lets go (release). Each weight is decoded into it at its
 * first load.
 */
export class HostWeights {
  readonly buffer: ArrayBuffer;
  private readonly filled = new Set<string>();
  private refs = 0;

  private constructor(readonly device: GpuDevice, private readonly file: Uint8Array, bytes: number) {
    this.buffer = device.hostBuffer(bytes);
  }

  /** The file's host weights on this device (made at the first instance); one more instance holds them. */
  static acquire(device: GpuDevice, file: Uint8Array, bytes: number): HostWeights {
    let byFile = shared.get(device);
    if (!byFile) shared.set(device, (byFile = new WeakMap()));
    let h = byFile.get(file);
    if (!h || h.buffer.byteLength !== bytes) byFile.set(file, (h = new HostWeights(device, file, bytes)));
    h.refs++;
    return h;
  }

  /** Instances holding these weights now. */
  get holders(): number {
    return this.refs;
  }

  /** One instance lets go; the last frees the host memory (no upload from it may be in flight). */
  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs > 0) return;
    shared.get(this.device)?.delete(this.file);
    this.device.freeHostBuffer(this.buffer);
  }

  has(name: string): boolean {
    return this.filled.has(name);
  }

  /** Writes a weight's device words at its offset (its first load). */
  fill(name: string, offset: number, words: ArrayBufferView): void {
    new Uint8Array(this.buffer, offset, words.byteLength).set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
    this.filled.add(name);
  }
}

const shared = new WeakMap<GpuDevice, WeakMap<Uint8Array, HostWeights>>();

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

  /** The byte range [start, end) of each group in the pool (a group's weights are adjacent: weightOrder is step order). */
  private readonly spans: [number, number][];
  /** Uploads from host weights in flight, by group (the run waits on its group's on the GPU). */
  private tickets: (UploadTicket | undefined)[] = [];
  private device: GpuDevice | null = null;
  private host: HostWeights | null = null;

  constructor(plan: Plan, private readonly inits: Map<string, Initializer>) {
    let at = 0;
    this.groups = plan.steps.map((s) => s.weights);
    this.groups.forEach((g, k) => g.forEach((name) => this.groupIndex.set(name, k)));
    for (const name of plan.weightOrder) {
      this.offsets.set(name, at);
      at += alignUp(deviceBytes(inits.get(name)!.dims));
    }
    this.bytes = Math.max(at, 256);
    this.spans = this.groups.map((g) => {
      if (g.length === 0) return [0, 0];
      const last = g[g.length - 1]!;
      return [this.offsets.get(g[0]!)!, this.offsets.get(last)! + alignUp(deviceBytes(inits.get(last)!.dims))];
    });
  }

  /** Keep the weights in host memory the device uploads from (shared by the instances of `file`); until dropHostWeights. */
  keepHostWeights(device: GpuDevice, file: Uint8Array): void {
    this.host ??= HostWeights.acquire(device, file, this.bytes);
  }

  /** This instance lets go of its host weights (the last instance frees them). */
  dropHostWeights(): void {
    this.host?.release();
    this.host = null;
  }

  /** The host weights this pool uploads from, if it keeps them. */
  get hostWeights(): HostWeights | null {
    return this.host;
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

  /** The first page of the last pool released (allocate's samePlace). */
  private lastPage: number | null = null;

  /**
   * Takes the pool's pages. `samePlace`: where the last pool of this model
   * was, if that is free (a reload lands where its runs' recorded graphs
   * point, and they replay; round 8 on the H200: 176 of handover's 832 BURST
   * recordings followed a pool that came back elsewhere).
   */
  allocate(arena: Arena, label: string, samePlace = false): void {
    this.failure = null;
    const at = samePlace && this.lastPage !== null && arena.fitsAt(this.lastPage, this.bytes) ? this.lastPage : undefined;
    this.alloc = arena.allocate('infer', this.bytes, `${label}:weights`, { at });
    this.uploaded = 0;
  }

  /**
   * Writes group k. With host weights: decodes into them what is not there
   * yet, then one upload of the group's bytes (the run waits for it on the
   * GPU, ready()); without: decodes and writes each weight, the decoded
   * tensors dropped. Returns whether anything was decoded (host work done).
   */
  uploadGroup(device: GpuDevice, k: number): boolean {
    const base = this.alloc!.range();
    const names = this.groups[k] ?? [];
    let decoded = false;
    if (this.host) {
      for (const name of names) {
        if (this.host.has(name)) continue;
        this.host.fill(name, this.offsets.get(name)!, this.decode(name));
        decoded = true;
      }
      const [start, end] = this.spans[k] ?? [0, 0];
      if (end > start) {
        this.device = device;
        this.tickets[k] = device.upload({ backing: base.backing, offset: base.offset + start, bytes: end - start }, this.host.buffer, start, 'infer');
      }
    } else {
      for (const name of names) {
        const words = this.decode(name);
        decoded = true;
        device.write({ backing: base.backing, offset: base.offset + this.offsets.get(name)!, bytes: words.byteLength }, words);
      }
    }
    this.uploaded = k + 1;
    for (const w of this.waiters.splice(0)) w();
    return decoded;
  }

  /** The uploads are issued: the infer lane's later work waits for all of them (a fence on it covers them); tickets spent. */
  endUploads(): void {
    if (this.device) this.device.endUploads(this.tickets.filter((t): t is UploadTicket => t !== undefined), 'infer');
    this.tickets = [];
    this.device = null;
  }

  private decode(name: string): ArrayBufferView {
    const init = this.inits.get(name)!;
    const words = toDeviceWords(init.value, name);
    init.release();
    this.decodes++;
    return words;
  }

  /**
   * Null when group k is written (and, for an upload from host weights, the
   * infer lane's later work now waits for it on the GPU), else a promise that
   * resolves then; rejects if the upload failed.
   */
  ready(k: number): Promise<void> | null {
    if (this.uploaded > k) {
      this.awaitGroup(k);
      return null;
    }
    return new Promise((resolve, reject) => {
      const check = () => (this.failure ? reject(this.failure) : this.uploaded > k ? (this.awaitGroup(k), resolve()) : this.waiters.push(check));
      check();
    });
  }

  private awaitGroup(k: number): void {
    const t = this.tickets[k];
    if (t && this.device) this.device.awaitUpload(t, 'infer');
  }

  /** The upload failed: wake every waiting run with the error. */
  fail(e: unknown): void {
    this.failure = e;
    for (const w of this.waiters.splice(0)) w();
  }

  release(arena: Arena): void {
    if (this.alloc) {
      this.lastPage = this.alloc.firstPage; // where it ended up (a compaction may have moved it since allocate)
      arena.free(this.alloc);
    }
    this.alloc = null;
    this.uploaded = 0;
  }
}
