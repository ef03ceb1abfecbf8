// A GpuDevice in host memory that can remap, for testing the arena's page
// logic where no GPU with VMM is at hand: every backing is a list of pages of
// `unit` bytes, and mapPages makes a backing whose list holds the same page
// objects, so a write through a view is seen through the original backing, as
// with cuMemMap. Kernels: only `fill` (y[i] = value for n words).
import { GpuDevice, type Backing, type DeviceInfo, type Lane, type PageRef, type Range } from '../../src/core/device.js';
import { InvalidRangeError } from '../../src/core/errors.js';

export class HostRemapDevice extends GpuDevice {
  readonly info: DeviceInfo;
  private readonly pages = new Map<number, Uint8Array[]>();
  private viewSpec: Uint8Array[] | null = null;
  private readonly views = new Set<number>();
  /** Views made (mapPages) and views destroyed. */
  viewsMade = 0;
  viewsDestroyed = 0;

  constructor(readonly unit: number, remap = true, maxBackingBytes = 2 ** 30) {
    super();
    this.info = {
      backend: 'webgpu',
      name: 'host memory with page remapping',
      vendor: 'test',
      architecture: 'cpu',
      software: true,
      limits: { maxBackingBytes, maxBindingBytes: 2 ** 30, bindingAlignment: 4, maxGroupsPerDimension: 65535, remapPageBytes: remap ? unit : undefined },
      capabilities: { remap, timestamps: false },
    };
  }

  async prepare(): Promise<void> {}
  destroy(): void {
    this.pages.clear();
  }

  protected _createBacking(id: number, bytes: number): void {
    const view = this.viewSpec;
    this.pages.set(id, view ?? Array.from({ length: Math.ceil(bytes / this.unit) }, () => new Uint8Array(this.unit)));
  }
  protected _destroyBacking(b: Backing): void {
    this.pages.delete(b.id);
    if (this.views.delete(b.id)) this.viewsDestroyed++;
  }
  protected override _mapPages(refs: readonly PageRef[], label: string): Backing {
    this.viewSpec = refs.map((r) => this.pages.get(r.backing.id)![r.offset / this.unit]!);
    try {
      const view = this.createBacking(refs.length * this.unit, label);
      this.views.add(view.id);
      this.viewsMade++;
      return view;
    } finally {
      this.viewSpec = null;
    }
  }

  /** Calls `f(page, from, to, at)` for each page piece of a range (at: offset into the range). */
  private each(r: Range, f: (page: Uint8Array, from: number, to: number, at: number) => void): void {
    const list = this.pages.get(r.backing.id);
    if (!list) throw new InvalidRangeError(`host device: backing ${r.backing.id} has no pages`);
    for (let at = 0; at < r.bytes; ) {
      const off = r.offset + at;
      const page = list[Math.floor(off / this.unit)]!;
      const from = off % this.unit;
      const to = Math.min(this.unit, from + (r.bytes - at));
      f(page, from, to, at);
      at += to - from;
    }
  }

  protected _write(r: Range, data: ArrayBufferView): void {
    const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.each(r, (page, from, to, at) => page.set(src.subarray(at, at + to - from), from));
  }
  protected async _read(r: Range): Promise<Uint8Array> {
    const out = new Uint8Array(r.bytes);
    this.each(r, (page, from, to, at) => out.set(page.subarray(from, to), at));
    return out;
  }
  protected _zero(r: Range): void {
    this.each(r, (page, from, to) => page.fill(0, from, to));
  }
  protected _copy(src: Range, dst: Range): void {
    const tmp = new Uint8Array(src.bytes);
    this.each(src, (page, from, to, at) => tmp.set(page.subarray(from, to), at));
    this._write(dst, tmp);
  }
  protected _launch(kernel: string, ranges: Range[], params: ArrayBuffer | undefined, _threads: [number, number, number], _lane: Lane): void {
    if (kernel !== 'fill' || !params) throw new InvalidRangeError(`host device: no kernel '${kernel}' (only fill)`);
    const [n, value] = new Uint32Array(params);
    const words = new Uint32Array(n!).fill(value!);
    this._write({ ...ranges[0]!, bytes: n! * 4 }, words);
  }
  protected async _submit(): Promise<void> {}
}
