// The abstract GPU device: the few mechanics the core needs from a GPU API.
// The base class owns argument checks and byte accounting; a backend
// implements only the protected hooks (_createBacking, _write, ...).

import { AllocationTooLargeError, DeviceError, InvalidRangeError } from './errors.js';
import type { Backing, Bindable, DeviceInfo, Lane, Launch, PageRef, Range, Recording, UploadTicket } from './device-types.js';
import { resolve } from './device-types.js';

export * from './device-types.js';

export abstract class GpuDevice {
  abstract readonly info: DeviceInfo;
  /**
   * Mutable counters live in one object that is changed in place, never
   * reassigned: a view of this device made with Object.create (a lane-bound
   * writer, a device with other limits) then shares them instead of growing
   * its own copies (two backings with one id, a byte count that drifts).
   */
  private readonly tally: { bytes: number; nextBacking: number; nextRecording: number; nextUpload: number; recording: { lane: Lane; launches: number } | null } = {
    bytes: 0,
    nextBacking: 1,
    nextRecording: 1,
    nextUpload: 1,
    recording: null,
  };
  private readonly live = new Set<number>();
  private readonly recordings = new Set<number>();
  /** Live host buffers (hostBuffer) and their sizes. */
  private readonly hostBuffers = new Map<ArrayBuffer, number>();

  /** Bytes of backing memory created and not destroyed. */
  get bytesInBackings(): number {
    return this.tally.bytes;
  }
  /** The lane being recorded, and how many launches so far (record()). */
  private get recording(): { lane: Lane; launches: number } | null {
    return this.tally.recording;
  }

  createBacking(bytes: number, label = 'arena'): Backing {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes % 4 !== 0)
      throw new InvalidRangeError(`backing size must be a positive multiple of 4 bytes, got ${bytes}`);
    if (bytes > this.info.limits.maxBackingBytes)
      throw new AllocationTooLargeError(bytes, this.info.limits.maxBackingBytes, 'largest backing this device allows');
    const id = this.tally.nextBacking++;
    this._createBacking(id, bytes, label);
    this.live.add(id);
    this.tally.bytes += bytes;
    return { id, bytes };
  }

  /**
   * A new backing whose pages are the given pages of other backings, in
   * order (the same memory at a second, contiguous address): a write through
   * either is seen through the other. Destroying the view unmaps only the
   * view. Needs capabilities.remap; each page is limits.remapPageBytes.
   */
  mapPages(pages: readonly PageRef[], label = 'view'): Backing {
    const unit = this.info.limits.remapPageBytes;
    if (!this.info.capabilities.remap || !unit) throw new DeviceError('mapPages', `the ${this.info.backend} backend cannot map pages into a new range`);
    if (pages.length === 0) throw new InvalidRangeError('mapPages: no pages');
    pages.forEach((p, i) => {
      if (!this.live.has(p.backing.id)) throw new InvalidRangeError(`mapPages: page ${i} names backing ${p.backing.id}, which is not live`);
      if (p.offset % unit !== 0 || p.offset < 0 || p.offset + unit > p.backing.bytes)
        throw new InvalidRangeError(`mapPages: page ${i} offset ${p.offset} is not a page of ${unit} bytes inside backing ${p.backing.id} (${p.backing.bytes} bytes)`);
    });
    return this._mapPages(pages, label);
  }

  destroyBacking(b: Backing): void {
    if (!this.live.delete(b.id)) throw new InvalidRangeError(`backing ${b.id} is not live`);
    this._destroyBacking(b);
    this.tally.bytes -= b.bytes;
  }

  /** Writes host data into a range, ordered after the lane's work issued before (and every zero/copy). */
  write(range: Range, data: ArrayBufferView, lane: Lane = 'train'): void {
    this.notRecording('write');
    this.check(range, 'write');
    if (data.byteLength !== range.bytes)
      throw new InvalidRangeError(`write of ${data.byteLength} bytes into a range of ${range.bytes} bytes`);
    this._write(range, data, lane);
  }

  /**
   * Host memory the device uploads from without a staging copy (page-locked
   * on CUDA, so upload() is one DMA straight from it); an ordinary
   * ArrayBuffer on backends that copy at the call anyway. Freed by
   * freeHostBuffer, only once no upload from it is in flight.
   */
  hostBuffer(bytes: number): ArrayBuffer {
    if (!Number.isInteger(bytes) || bytes <= 0) throw new InvalidRangeError(`hostBuffer: size must be a positive whole number of bytes, got ${bytes}`);
    const buf = this._hostBuffer(bytes);
    this.hostBuffers.set(buf, bytes);
    return buf;
  }

  freeHostBuffer(buf: ArrayBuffer): void {
    const bytes = this.hostBuffers.get(buf);
    if (bytes === undefined) throw new InvalidRangeError('freeHostBuffer: not a live hostBuffer of this device');
    this.hostBuffers.delete(buf);
    this._freeHostBuffer(buf);
  }

  /** Bytes of the host buffers alive now (hostBuffer minus freeHostBuffer). */
  get hostBufferBytes(): number {
    let n = 0;
    for (const b of this.hostBuffers.values()) n += b;
    return n;
  }

  /**
   * Uploads `range.bytes` of a hostBuffer, from `hostOffset`, into `range`:
   * ordered after the lane's work issued before (and every zero/copy), but
   * the lane's later work does not wait for it unless told: awaitUpload(t,
   * lane) before a launch that reads the range (a run can start layer k while
   * layer k+1 is still coming in), endUploads when the tickets are done with.
   * The host bytes must stay unchanged until a fence after endUploads.
   */
  upload(range: Range, host: ArrayBuffer, hostOffset: number, lane: Lane = 'infer'): UploadTicket {
    this.notRecording('upload');
    this.check(range, 'upload');
    if (!this.hostBuffers.has(host)) throw new InvalidRangeError('upload: the source is not a live hostBuffer of this device');
    if (!Number.isInteger(hostOffset) || hostOffset < 0 || hostOffset + range.bytes > host.byteLength)
      throw new InvalidRangeError(`upload: host range [${hostOffset}, ${hostOffset + range.bytes}) is outside a host buffer of ${host.byteLength} bytes`);
    return this._upload(range, host, hostOffset, lane);
  }

  /** The lane's work issued after this waits for the upload (a no-op where the lane's order already covers it). */
  awaitUpload(t: UploadTicket, lane: Lane = 'infer'): void {
    this._awaitUpload(t, lane);
  }

  /** The lane's later work waits for every one of the uploads (so a fence on it covers them); the tickets are spent. */
  endUploads(tickets: readonly UploadTicket[], lane: Lane = 'infer'): void {
    this._endUploads(tickets, lane);
  }

  /** Reads a range back to the host after the lane's work issued before it (and every zero/copy). */
  read(range: Range, lane: Lane = 'train'): Promise<Uint8Array> {
    this.notRecording('read');
    this.check(range, 'read');
    return this._read(range, lane);
  }

  /** Zero-fills a range on the GPU, ordered after all work issued before on every lane, and before all work after. */
  zero(range: Range): void {
    this.notRecording('zero');
    this.check(range, 'zero');
    this._zero(range);
  }

  /** Copies between two ranges of equal size (any backings; overlap allowed); ordered like zero(). */
  copy(src: Range, dst: Range): void {
    this.notRecording('copy');
    this.check(src, 'copy source');
    this.check(dst, 'copy destination');
    if (src.bytes !== dst.bytes) throw new InvalidRangeError(`copy of ${src.bytes} bytes into ${dst.bytes} bytes`);
    if (src.backing.id === dst.backing.id && src.offset === dst.offset) return;
    this._copy(src, dst);
  }

  /** Encodes one kernel launch after all work issued before. */
  launch(l: Launch): void {
    const ranges = l.bindings.map(resolve);
    ranges.forEach((r, i) => {
      this.check(r, `binding ${i} of ${l.kernel}`);
      if (r.offset % this.info.limits.bindingAlignment !== 0)
        throw new InvalidRangeError(
          `binding ${i} of ${l.kernel}: offset ${r.offset} is not a multiple of ${this.info.limits.bindingAlignment}`,
        );
      if (r.bytes > this.info.limits.maxBindingBytes)
        throw new AllocationTooLargeError(r.bytes, this.info.limits.maxBindingBytes, `binding size limit (${l.kernel})`);
    });
    for (const t of l.threads) {
      if (t !== undefined && (!Number.isInteger(t) || t < 0))
        throw new InvalidRangeError(`${l.kernel}: thread counts must be non-negative integers, got ${l.threads}`);
    }
    if (l.threads.some((t) => t === 0)) return;
    const lane = l.lane ?? 'train';
    if (this.recording && this.recording.lane !== lane)
      throw new InvalidRangeError(`${l.kernel}: launch on lane ${lane} while lane ${this.recording.lane} is recording`);
    this._launch(l.kernel, ranges, l.params, [l.threads[0], l.threads[1] ?? 1, l.threads[2] ?? 1], lane);
    if (this.recording) this.recording.launches++;
  }

  /** Submits everything issued so far (every lane); resolves when the GPU has finished it. */
  submit(): Promise<void> {
    this.notRecording('submit');
    return this._submit();
  }

  /** Waits until the GPU is idle with respect to everything issued so far (every lane). */
  fence(): Promise<void> {
    this.notRecording('fence');
    return this._submit();
  }

  /**
   * Waits until the work issued so far on `lane` has finished, with the
   * zero-fills and copies that lane waits for; a backend with one queue waits
   * for everything. Enough to reclaim pages only that lane touches: an
   * inference run does not wait for the training kernels in flight.
   */
  fenceLane(lane: Lane): Promise<void> {
    this.notRecording('fence');
    return this._submit([lane]);
  }

  /**
   * Records the launches `issue` makes on `lane` (it may only launch, on that
   * lane, synchronously) without running them; replay() runs them. Needs
   * info.capabilities.graphs. If `issue` throws, nothing is recorded.
   */
  record(lane: Lane, issue: () => void): Recording {
    if (!this.info.capabilities.graphs) throw new DeviceError('record', `the ${this.info.backend} backend cannot record launches`);
    this.notRecording('record');
    const id = this.tally.nextRecording++;
    this.tally.recording = { lane, launches: 0 };
    let launches = 0;
    try {
      this._record(id, lane, () => {
        issue();
        launches = this.recording!.launches;
      });
    } finally {
      this.tally.recording = null;
    }
    this.recordings.add(id);
    return { id, lane, launches };
  }

  /** Runs a recording on its lane, in order with the lane's other work. */
  replay(r: Recording): void {
    this.notRecording('replay');
    if (!this.recordings.has(r.id)) throw new InvalidRangeError(`recording ${r.id} was released or belongs to another device`);
    this._replay(r.id, r.lane);
  }

  /** Frees a recording (once the GPU is done with replays already issued). */
  releaseRecording(r: Recording): void {
    if (!this.recordings.delete(r.id)) return;
    this._releaseRecording(r.id, r.lane);
  }

  /**
   * From now on, the training lane's work runs on about `share` of the GPU's
   * compute (0 < share < 1), or on all of it again (null). Work issued before
   * finishes first; the lane's order is kept. Returns the share granted (the
   * device rounds to its granularity), or null. Needs capabilities.confine.
   */
  confineTraining(share: number | null): number | null {
    if (!this.info.capabilities.confine) throw new DeviceError('confineTraining', `the ${this.info.backend} backend cannot confine training to part of the GPU`);
    if (share !== null && !(share > 0 && share < 1)) throw new InvalidRangeError(`confineTraining: the share must be in (0, 1), or null for the whole GPU; got ${share}`);
    return this._confineTraining(share);
  }

  /**
   * Whether this backend can run a launch's slices (a range of its output
   * rows, see src/core/cost.ts SliceSpec). Default: every launch that offers
   * them; a backend whose kernel cannot take some slice overrides this.
   */
  sliceable(_l: Launch): boolean {
    return true;
  }

  /** Compiles kernels ahead of their first launch (so compile time is not measured as run time). */
  abstract prepare(kernels: readonly string[]): Promise<void>;
  /** Milliseconds on a monotonic host clock. */
  now(): number {
    return performance.now();
  }
  abstract destroy(): void;

  protected abstract _createBacking(id: number, bytes: number, label: string): void;
  protected abstract _destroyBacking(b: Backing): void;
  protected abstract _write(range: Range, data: ArrayBufferView, lane: Lane): void;
  protected abstract _read(range: Range, lane: Lane): Promise<Uint8Array>;
  protected abstract _zero(range: Range): void;
  protected abstract _copy(src: Range, dst: Range): void;
  protected abstract _launch(kernel: string, ranges: Range[], params: ArrayBuffer | undefined, threads: [number, number, number], lane: Lane): void;
  /** Resolves when the work issued so far on `lanes` (default: every lane) has finished. */
  protected abstract _submit(lanes?: readonly Lane[]): Promise<void>;
  /** Backends that upload from host memory without a copy override these five (CUDA: pinned memory, a copy stream). */
  protected _hostBuffer(bytes: number): ArrayBuffer {
    return new ArrayBuffer(bytes);
  }
  protected _freeHostBuffer(_buf: ArrayBuffer): void {}
  protected _upload(range: Range, host: ArrayBuffer, hostOffset: number, lane: Lane): UploadTicket {
    this._write(range, new Uint8Array(host, hostOffset, range.bytes), lane);
    return this.newTicket();
  }
  protected newTicket(): UploadTicket {
    return { id: this.tally.nextUpload++ };
  }
  protected _awaitUpload(_t: UploadTicket, _lane: Lane): void {}
  protected _endUploads(_tickets: readonly UploadTicket[], _lane: Lane): void {}
  /** Backends with capabilities.graphs override these three. */
  protected _record(_id: number, _lane: Lane, _issue: () => void): void {
    throw new DeviceError('record', `the ${this.info.backend} backend cannot record launches`);
  }
  protected _replay(_id: number, _lane: Lane): void {
    throw new DeviceError('replay', `the ${this.info.backend} backend cannot replay launches`);
  }
  protected _releaseRecording(_id: number, _lane: Lane): void {}
  /** Backends with capabilities.remap override this (and call createBacking for the view). */
  protected _mapPages(_pages: readonly PageRef[], _label: string): Backing {
    throw new DeviceError('mapPages', `the ${this.info.backend} backend cannot map pages into a new range`);
  }
  /** Backends with capabilities.confine override this. */
  protected _confineTraining(_share: number | null): number | null {
    throw new DeviceError('confineTraining', `the ${this.info.backend} backend cannot confine training to part of the GPU`);
  }

  private notRecording(what: string): void {
    if (this.recording) throw new InvalidRangeError(`${what} while lane ${this.recording.lane} is recording launches (only launches may be recorded)`);
  }

  private check(r: Range, what: string): void {
    if (!this.live.has(r.backing.id)) throw new InvalidRangeError(`${what}: backing ${r.backing.id} is not live`);
    if (r.offset < 0 || r.bytes < 0 || r.offset + r.bytes > r.backing.bytes)
      throw new InvalidRangeError(`${what}: range [${r.offset}, ${r.offset + r.bytes}) is outside backing of ${r.backing.bytes} bytes`);
    if (r.offset % 4 !== 0 || r.bytes % 4 !== 0)
      throw new InvalidRangeError(`${what}: offset ${r.offset} and size ${r.bytes} must be multiples of 4`);
  }
}

export function deviceError(call: string, e: unknown): DeviceError {
  return new DeviceError(call, e instanceof Error ? e.message : String(e));
}
