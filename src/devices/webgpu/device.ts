// The WebGPU backend: one GPUBuffer per backing, one compute pipeline per
// kernel (compiled from shaders/<name>.wgsl, or the variant variants.ts
// picks for the launch), work encoded into one pending command encoder that
// submit() hands to the queue (with pipelining, also every few launches).

import { GpuDevice, deviceError, type Backing, type DeviceInfo, type Lane, type Range } from '../../core/device.js';
import { DeviceError, InvalidRangeError } from '../../core/errors.js';
import { findAdapter } from './adapter.js';
import { BindGroupCache, PARAM_SLOT, ParamsRing, type Bound } from './bind-groups.js';
import { requestDevice, webGpuInfo } from './device-open.js';
import { kernelSetFromEnv, kernelsFor, registerVariants, variantsFor, type KernelSet, type Variants } from './variants.js';
import { FIRST_FLUSH, FLUSH_EVERY, LaunchChoices, pipeliningFromEnv } from './launch-choice.js';
import { PipelineCache } from './pipelines.js';
import { StagingPool, TimestampProfiler, type KernelTime } from './profiler.js';
import { UploadPool } from './uploads.js';
import { SCRATCH_ID, ScratchBuffer } from './scratch.js';

export { workgroupSize } from './launch-choice.js';

export interface WebGpuOptions {
  log?: (line: string) => void;
  /** Select SwiftShader even when a hardware adapter exists. */
  software?: boolean;
  /** Use an existing GPUDevice (a browser page that already has one). */
  device?: GPUDevice;
  /** Kernel variants: 'auto' (default: HANDOVER_WEBGPU_KERNELS, else by adapter), or force 'tiled' / 'register'. */
  kernels?: KernelSet;
  /** Replacement kernels to run instead of a kernel set's (tests force one variant with it). */
  variants?: Variants;
  /**
   * Let the GPU start before the host has issued all of a request's launches
   * (submit after the first few launches while the queue is idle, then every
   * FLUSH_EVERY), and stage large writes through reused mapped buffers
   * (uploads.ts). Default: on for hardware adapters, off on SwiftShader (whose
   * GPU is the host's own cores).
   */
  pipelining?: boolean;
}

export class WebGpuDevice extends GpuDevice {
  readonly info: DeviceInfo;
  private readonly buffers = new Map<number, GPUBuffer>();
  private readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Each launch's params, in a uniform ring written with the submit (bind-groups.ts). */
  private readonly params: ParamsRing;
  private firstError: DeviceError | null = null;
  /** Writes and submits handed to the queue, and how many of them a completed wait covered. */
  private issued = 0;
  private drained = 0;
  private lost = false;
  /** Kernels this device runs in place of the portable ones (variants.ts). */
  readonly variants: Variants;
  private readonly choices: LaunchChoices;
  private readonly staging: StagingPool;
  private readonly scratch: ScratchBuffer;
  private profiler: TimestampProfiler | null = null;
  /** Recorded with each launch of a profile (KernelTime.label). */
  profileLabel = '';

  static async open(opts: WebGpuOptions = {}): Promise<WebGpuDevice> {
    const kernels = opts.kernels ?? kernelSetFromEnv();
    if (opts.device) return new WebGpuDevice(opts.device, false, 'given GPUDevice', kernels, opts.pipelining, undefined, opts.variants);
    const { adapter, instance, software, how } = await findAdapter(opts.log, { software: opts.software });
    const device = await requestDevice(adapter);
    const d = new WebGpuDevice(device, software, how, kernels, opts.pipelining, adapter.info, opts.variants);
    d.instance = instance;
    return d;
  }

  /** Held so the GPU instance outlives the device (see AdapterChoice.instance). */
  private instance: GPU | null = null;

  private constructor(
    readonly gpu: GPUDevice,
    software: boolean,
    readonly how: string,
    kernels: KernelSet,
    pipelining: boolean | undefined,
    adapterInfo?: GPUAdapterInfo,
    variants?: Variants,
  ) {
    super();
    this.info = webGpuInfo(gpu, software, adapterInfo);
    gpu.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.firstError ??= new DeviceError('WebGPU', `${err.constructor.name}: ${err.message}`);
    });
    void gpu.lost.then((info) => {
      this.lost = true;
      this.firstError ??= new DeviceError('GPUDevice', `device lost (${info.reason}): ${info.message}`);
    });
    this.params = new ParamsRing(gpu);
    this.bindGroups = new BindGroupCache(gpu);
    this.variants = variants ?? variantsFor(kernels, this.info.software);
    this.choices = new LaunchChoices(this.variants);
    this.staging = new StagingPool(gpu);
    this.scratch = new ScratchBuffer(gpu);
    this.pipelines = new PipelineCache(gpu, (e) => (this.firstError ??= e));
    this.pipelining = pipelining ?? pipeliningFromEnv() ?? !this.info.software;
    this.uploads = this.pipelining ? new UploadPool(gpu) : null;
  }

  /** Whether this device submits early and stages large writes (WebGpuOptions.pipelining). */
  readonly pipelining: boolean;
  /** Reused mapped buffers for large writes (with pipelining). */
  readonly uploads: UploadPool | null;
  /** Launches encoded since the last submit. */
  private pendingLaunches = 0;

  /** 'tiled' when this device runs the workgroup-tiled kernels, else 'register'. */
  get kernelSet(): 'tiled' | 'register' {
    return this.variants === registerVariants ? 'register' : 'tiled';
  }

  /** Features of the device that kernels or profiles can use. */
  get features(): { timestamps: boolean; f16: boolean } {
    return { timestamps: this.gpu.features.has('timestamp-query'), f16: this.gpu.features.has('shader-f16') };
  }

  /**
   * From now until endProfile(), each launch runs in its own compute pass
   * with GPU timestamps around it (needs the 'timestamp-query' feature).
   */
  beginProfile(): void {
    if (!this.features.timestamps) throw new DeviceError('beginProfile', 'this adapter has no timestamp-query feature');
    this.endPass();
    this.profiler = new TimestampProfiler(this.gpu);
  }

  /** GPU time of every launch since beginProfile(), in launch order. */
  async endProfile(): Promise<KernelTime[]> {
    const prof = this.profiler;
    if (!prof) throw new DeviceError('endProfile', 'no profile was begun');
    this.profiler = null;
    this.endPass();
    prof.resolve(this.enc());
    this.flushPending();
    try {
      return await prof.read();
    } finally {
      this.throwIfFailed();
    }
  }

  get isLost(): boolean {
    return this.lost;
  }

  async prepare(kernels: readonly string[]): Promise<void> {
    await this.pipelines.prepare(kernels.flatMap((portable) => kernelsFor(this.variants, portable)));
  }

  destroy(): void {
    this.endPass();
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
    this.staging.destroy();
    this.scratch.destroy();
    this.uploads?.destroy();
    this.params.destroy();
    this.gpu.destroy();
  }

  protected _createBacking(id: number, bytes: number, label: string): void {
    this.gpu.pushErrorScope('out-of-memory');
    this.gpu.pushErrorScope('validation');
    const buf = this.gpu.createBuffer({
      label: `${label}#${id}`,
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.buffers.set(id, buf);
    // Errors of creation arrive asynchronously; record them for the next submit.
    for (const kind of ['validation', 'out-of-memory']) {
      void this.gpu.popErrorScope().then((err) => {
        if (err) this.firstError ??= new DeviceError(`createBuffer(${bytes} bytes, ${kind})`, err.message);
      });
    }
  }

  protected _destroyBacking(b: Backing): void {
    this.flushPending();
    this.buffers.get(b.id)!.destroy();
    this.buffers.delete(b.id);
    this.bindGroups.dropBacking(b.id);
  }

  protected _write(range: Range, data: ArrayBufferView): void {
    const staged = range.offset % 4 === 0 ? this.uploads?.stage(data) : null;
    if (staged) {
      // a copy in the pending encoder: ordered after the launches encoded so far, before later ones
      this.endPass();
      this.enc().copyBufferToBuffer(staged, 0, this.buf(range), range.offset, data.byteLength);
      return;
    }
    this.flushPending(); // writeBuffer is ordered on the queue, before any unsubmitted encoder
    this.gpu.queue.writeBuffer(this.buf(range), range.offset, data.buffer, data.byteOffset, data.byteLength);
    this.issued++;
  }

  protected async _read(range: Range): Promise<Uint8Array> {
    const staging = this.staging.take(range.bytes);
    try {
      if (range.bytes > 0) {
        this.endPass();
        this.enc().copyBufferToBuffer(this.buf(range), range.offset, staging, 0, range.bytes);
      }
      this.flushPending();
      const upTo = this.issued;
      // Both resolve once the copy has run; awaiting them together costs one wait, not two.
      await Promise.all([this.gpu.queue.onSubmittedWorkDone(), staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, range.bytes))]);
      this.drained = Math.max(this.drained, upTo);
      this.throwIfFailed();
      const out = new Uint8Array(staging.getMappedRange(0, Math.max(4, range.bytes)).slice(0, range.bytes));
      staging.unmap();
      this.staging.give(staging);
      return out;
    } catch (e) {
      staging.destroy();
      throw e instanceof DeviceError ? e : deviceError('read (mapAsync)', e);
    }
  }

  protected _zero(range: Range): void {
    if (range.bytes === 0) return;
    this.endPass();
    this.enc().clearBuffer(this.buf(range), range.offset, range.bytes);
  }

  protected _copy(src: Range, dst: Range): void {
    if (src.bytes === 0) return;
    if (src.backing.id !== dst.backing.id) {
      this.endPass();
      this.enc().copyBufferToBuffer(this.buf(src), src.offset, this.buf(dst), dst.offset, src.bytes);
      return;
    }
    // WebGPU forbids copies within one buffer: move with the copy kernel in
    // pieces that never overlap, in an order that never reads a written word.
    const gap = Math.abs(dst.offset - src.offset);
    const piece = Math.min(gap, this.info.limits.maxBindingBytes - 256) & ~255;
    if (piece < 256 || gap % 4 !== 0) throw new InvalidRangeError(`move within a backing needs a gap of at least 256 bytes, got ${gap}`);
    const down = dst.offset < src.offset;
    for (let done = 0; done < src.bytes; done += piece) {
      const n = Math.min(piece, src.bytes - done);
      const at = down ? done : src.bytes - done - n;
      const lo = Math.min(src.offset, dst.offset) + at;
      const base = lo - (lo % 256);
      const span = Math.max(src.offset, dst.offset) + at + n - base;
      const words = new Uint32Array([(src.offset + at - base) / 4, (dst.offset + at - base) / 4, n / 4, 0]);
      this._launch('copy', [{ backing: src.backing, offset: base, bytes: span }], words.buffer, [n / 4, 1, 1]);
    }
  }

  protected _launch(portable: string, ranges: Range[], params: ArrayBuffer | undefined, threads: [number, number, number]): void {
    const c = this.choices.choose(portable, params, threads, (k) => this.pipelines.get(k).workgroup);
    const all = c.scratch ? [...ranges, this.scratchRange(c.scratch * 4)] : ranges;
    this.dispatch(c.kernel, all, c.binds, params, c.groups);
    if (c.then) this.dispatch(c.then.kernel, all, c.then.binds, params, c.then.groups);
    // Pipelining: hand the GPU what is encoded so far (early while it idles) and encode the rest meanwhile.
    if (this.pipelining && !this.profiler && ++this.pendingLaunches >= (this.drained === this.issued ? FIRST_FLUSH : FLUSH_EVERY)) this.flushPending();
  }

  /** The first `bytes` of the scratch buffer (variants.ts Variant.scratch), as a range of pseudo-backing SCRATCH_ID. */
  private scratchRange(bytes: number): Range {
    const buffer = this.scratch.take(bytes, () => {
      this.flushPending();
      this.bindGroups.dropBacking(SCRATCH_ID);
    });
    this.buffers.set(SCRATCH_ID, buffer);
    return { backing: { id: SCRATCH_ID, bytes: buffer.size }, offset: 0, bytes };
  }

  /** One dispatch of `kernel`; `binds` picks its bindings from `ranges` (1-based; absent: all, in order). */
  private dispatch(kernel: string, ranges: Range[], binds: readonly number[] | undefined, params: ArrayBuffer | undefined, groups: [number, number, number]): void {
    const p = this.pipelines.get(kernel);
    let slot = -1;
    if (p.hasParams) {
      if (!params) throw new InvalidRangeError(`kernel ${kernel} takes params and none were given`);
      if (params.byteLength > PARAM_SLOT) throw new InvalidRangeError(`kernel ${kernel}: params exceed ${PARAM_SLOT} bytes`);
      slot = this.params.slot(params, () => this.flushPending(), () => this.bindGroups.dropParams());
    }
    const bound: Bound[] = binds ? binds.map((b) => ({ binding: b, r: ranges[b - 1]! })) : ranges.map((r, i) => ({ binding: i + 1, r }));
    const group = this.bindGroups.get(kernel, p.pipeline, slot, this.params.buffer, bound, (r) => this.buf(r));
    // 1-D kernels fold an x count beyond the per-dimension limit into y; the
    // shader linearises with num_workgroups.
    const max = this.info.limits.maxGroupsPerDimension;
    if (groups[0] > max) {
      if (groups[1] !== 1) throw new InvalidRangeError(`kernel ${kernel}: ${groups[0]} groups along x exceed ${max}`);
      groups[1] = Math.ceil(groups[0] / max);
      groups[0] = max;
    }
    if (this.profiler) this.endPass();
    const pass = this.computePass(this.profiler?.next(kernel, this.profileLabel));
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
  }

  /**
   * A fence right after a wait that covered everything queued (a run's fence
   * after its readback) returns at once: the queue is known drained. submit()
   * always waits (the gate times an empty submission as the fixed cost of one).
   */
  override async fence(): Promise<void> {
    if (!this.encoder && this.drained === this.issued) return this.throwIfFailed();
    return super.fence();
  }

  /** One queue: a lane's fence is the device's fence, with the same shortcut. */
  override async fenceLane(lane: Lane): Promise<void> {
    if (!this.encoder && this.drained === this.issued) return this.throwIfFailed();
    return super.fenceLane(lane);
  }

  protected async _submit(): Promise<void> {
    this.flushPending();
    const upTo = this.issued;
    await this.gpu.queue.onSubmittedWorkDone();
    this.drained = Math.max(this.drained, upTo);
    this.throwIfFailed();
  }

  /** Submits pending work without waiting (ordering only). */
  flushPending(): void {
    this.throwIfFailed();
    if (!this.encoder) return;
    this.endPass();
    this.params.upload(this.gpu.queue);
    this.gpu.queue.submit([this.encoder.finish()]);
    this.issued++;
    this.encoder = null;
    this.pendingLaunches = 0;
    this.uploads?.submitted();
    this.params.reset();
  }

  private throwIfFailed(): void {
    if (this.firstError) {
      const e = this.firstError;
      if (!this.lost) this.firstError = null;
      throw e;
    }
  }

  private buf(r: Range): GPUBuffer {
    const b = this.buffers.get(r.backing.id);
    if (!b) throw new InvalidRangeError(`backing ${r.backing.id} has no GPUBuffer`);
    return b;
  }

  private enc(): GPUCommandEncoder {
    this.encoder ??= this.gpu.createCommandEncoder();
    return this.encoder;
  }

  private computePass(timestampWrites?: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    this.pass ??= this.enc().beginComputePass(timestampWrites ? { timestampWrites } : undefined);
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
}
