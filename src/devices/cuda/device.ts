// The CUDA backend. Memory is a pool of VMM physical pages (cuMemCreate, one
// allocation granularity each); a backing is a reserved virtual range with
// pages mapped into it, so the same physical pages can later be mapped again,
// scattered, into another contiguous range (capabilities.remap). submit()
// records events and polls them.
//
// Streams and ordering. Each lane (core/device.ts Lane) has its own stream and
// cuBLAS handle (with its own workspace: two lanes' GEMMs may run at once):
// 'train' at the least priority, 'infer' at the greatest, so inference blocks
// are scheduled ahead of queued training blocks instead of behind them. A
// lane's write, launch, replay and read run on its stream, in issue order.
// Zero-fills and copies run on a third stream, the barrier stream: each waits
// for an event recorded on BOTH lane streams when it is issued, and both lane
// streams wait for an event recorded after it. Why that is enough:
// - Lanes share data only through pages, and a page changes owner only through
//   arena reclaim (a Drained proof: a fence, or the gate's drain through
//   submit(); both wait for events on BOTH lanes) and then a zero-fill before
//   the new owner's first use (arena.take). The zero-fill is after every
//   earlier use by either lane and before every later one: the new owner never
//   sees the old owner's data, and the old owner's late work cannot clobber it.
// - Compaction (arena.compactInference) copies live inference data to pages
//   just taken; the copy is ordered like a zero-fill, so it reads what either
//   lane wrote before (weights come in on 'infer', the KV cache writes on
//   'train') and everything after it sees the moved data.
// - read(range, lane) downloads on that lane's stream: it waits for the lane's
//   earlier work and for every earlier zero-fill and copy; a caller reads what
//   its own lane wrote.
// - A destroyed backing is unmapped, and a released recording destroyed, only
//   after events on both lanes (or the recording's lane) complete.
// - A recording (CUDA graph, captured on a lane's stream) replays on that
//   stream, so it is ordered exactly like the launches it recorded.

import { GpuDevice, type Backing, type DeviceInfo, type Lane, type Launch, type PageRef, type Range, type UploadTicket } from '../../core/device.js';
import { InvalidRangeError } from '../../core/errors.js';
import { loadAddon, type CudaAddon, type CudaDeviceProps, type Handle } from './addon.js';
import { DeferredSteps, EventPool, INFER_SPIN_MS, SPIN_MS, whenDone } from './completion.js';
import { cudaInfo, openOrdinal } from './device-info.js';
import { PagePool } from './page-pool.js';
import { gemm, gemmSliceable, gemmStridedBatched, overlapPieces } from './gemm.js';
import { TrainingConfinement } from './confine.js';
import { CudaGraphs } from './graphs.js';
import { greenAddon } from './green.js';
import { Reservations, type Reservation } from './reservations.js';
import { Staging } from './staging.js';
import { UploadStream } from './upload-stream.js';

const BLAS_WORKSPACE = 32 << 20;
const LANES: readonly Lane[] = ['train', 'infer'];

/** A lane's stream, its cuBLAS handle and that handle's workspace. */
interface LaneQueue {
  stream: Handle;
  blas: Handle;
  workspace: Reservation;
}

interface Kernel {
  index: number;
  bindings: number;
}

export interface CudaOptions {
  ordinal?: number;
}

export class CudaDevice extends GpuDevice {
  readonly info: DeviceInfo;
  readonly pool: PagePool;
  readonly pageBytes: number;
  private readonly lanes: Record<Lane, LaneQueue>;
  private readonly zeroing: Handle;
  private readonly events: EventPool;
  /** Uploads from pinned host buffers (upload()): a copy engine's work beside the lanes' kernels. */
  private readonly uploads: UploadStream;
  private readonly staging: Staging;
  /** Each backing's virtual range and the physical pages mapped into it (reservations.ts). */
  private readonly reservations: Reservations;
  private readonly kernels = new Map<string, Kernel>();
  /** One event per lane and one on the upload stream, recorded before a zero-fill or copy; one after it. */
  private readonly beforeZero: Handle[];
  private readonly afterZero: Handle;
  /** Unmaps and graph destruction wait until the GPU is done (out of the handover's path). */
  private readonly deferred: DeferredSteps;
  /** Executable graphs by recording id (graphs.ts). */
  private readonly graphs: CudaGraphs;
  private viewSpec: Handle[] | null = null;
  /** Where the training lane runs while confined (confineTraining); made at the first use. */
  private confinement: TrainingConfinement | null = null;
  private destroyed = false;

  static async open(log?: (line: string) => void, opts: CudaOptions = {}): Promise<CudaDevice> {
    const cu = loadAddon();
    const ordinal = opts.ordinal ?? 0;
    const props = openOrdinal(cu, ordinal);
    const d = new CudaDevice(cu, props, ordinal);
    log?.(`cuda: ${props.name} sm_${props.major}${props.minor}, ${(props.totalBytes / 2 ** 30).toFixed(1)} GiB, ` +
      `${props.smCount} SMs, page ${props.granularity >> 20} MiB, driver ${props.driverVersion}`);
    return d;
  }

  private constructor(readonly cu: CudaAddon, readonly props: CudaDeviceProps, readonly ordinal: number) {
    super();
    this.pageBytes = props.granularity;
    this.info = cudaInfo(cu, props);
    this.pool = new PagePool(cu, this.pageBytes, ordinal);
    this.reservations = new Reservations(cu, this.pool, this.pageBytes, ordinal);
    this.graphs = new CudaGraphs(cu);
    const priority = cu.streamPriorityRange();
    this.lanes = {
      train: this.lane(cu.streamCreate(priority.least)),
      infer: this.lane(cu.streamCreate(priority.greatest)),
    };
    this.zeroing = cu.streamCreate(priority.greatest);
    const uploading = cu.streamCreate(priority.greatest);
    this.events = new EventPool(cu);
    this.uploads = new UploadStream(cu, this.events, uploading);
    this.deferred = new DeferredSteps(cu, this.events);
    this.staging = new Staging(cu);
    this.beforeZero = [...LANES, 'upload'].map(() => this.events.get());
    this.afterZero = this.events.get();
    cu.kernels().forEach((k, index) => this.kernels.set(k.name, { index, bindings: k.bindings }));
  }

  /** A lane's cuBLAS handle gets its own workspace from the page pool (split-K and other algorithms need one). */
  private lane(stream: Handle): LaneQueue {
    const blas = this.cu.blasCreate(stream);
    const workspace = this.mapReservation(this.pool.take(BLAS_WORKSPACE / this.pageBytes || 1), true);
    this.cu.blasSetWorkspace(blas, workspace.va, workspace.bytes);
    return { stream, blas, workspace };
  }

  /**
   * The physical pages (checked by GpuDevice.mapPages) mapped into a new
   * reserved range: the same memory at a second virtual address. The arena
   * gives a training tensor a contiguous range of scattered free pages this way.
   */
  protected override _mapPages(pages: readonly PageRef[], label: string): Backing {
    const handles = this.reservations.handles(pages);
    this.viewSpec = handles;
    try {
      const view = this.createBacking(handles.length * this.pageBytes, label);
      this.reservations.alias(handles);
      return view;
    } finally {
      this.viewSpec = null;
    }
  }

  /** The lanes' streams and the training cuBLAS handle, for benchmarks and interop. */
  get trainingStream(): Handle {
    return this.lanes.train.stream;
  }
  get inferenceStream(): Handle {
    return this.lanes.infer.stream;
  }
  get blasHandle(): Handle {
    return this.lanes.train.blas;
  }

  /** Device pointer of a range (for benchmarks and interop). */
  pointer(r: Range): Handle {
    return this.reservations.pointer(r);
  }

  async prepare(kernels: readonly string[]): Promise<void> {
    for (const name of kernels) {
      if (name === 'matmul' || name === 'batched_gemm') continue; // cuBLAS, not the kernel table
      this.cu.prepare(this.kernel(name).index);
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.cu.synchronize();
    if (this.confinement) {
      this.lanes.train.stream = this.confinement.home;
      this.confinement.destroy();
    }
    this.unmapDone(true);
    for (const r of this.reservations.list()) this.unmap(r);
    this.reservations.clear();
    this.graphs.destroyAll();
    for (const l of LANES) this.unmap(this.lanes[l].workspace);
    this.pool.release();
    this.staging.destroy();
    this.events.destroy();
    for (const l of LANES) {
      this.cu.blasDestroy(this.lanes[l].blas);
      this.cu.streamDestroy(this.lanes[l].stream);
    }
    this.cu.streamDestroy(this.zeroing);
    this.cu.streamDestroy(this.uploads.stream);
  }

  /** The training lane moves to a green context of about `share` of the SMs, or home (src/devices/cuda/confine.ts). */
  protected override _confineTraining(share: number | null): number | null {
    const train = this.lanes.train;
    this.confinement ??= new TrainingConfinement(greenAddon(this.cu), this.ordinal, this.props.smCount, train.stream, this.events.get());
    const { stream, sms } = this.confinement.move(share, train.stream, train.blas);
    train.stream = stream;
    return share === null ? null : sms / this.props.smCount;
  }

  protected _createBacking(id: number, bytes: number, _label: string): void {
    this.unmapDone(false);
    const view = this.viewSpec;
    const pages = view ?? this.pool.take(Math.ceil(bytes / this.pageBytes));
    try {
      this.reservations.set(id, this.mapReservation(pages, !view));
    } catch (e) {
      if (!view) this.pool.give(pages); // the pages go back to the pool untouched
      throw e;
    }
  }

  protected _destroyBacking(b: Backing): void {
    const r = this.reservations.remove(b.id);
    this.deferred.push(this.mark(LANES), () => this.unmap(r));
  }

  protected _write(range: Range, data: ArrayBufferView, lane: Lane): void {
    if (range.bytes === 0) return;
    const stream = this.lanes[lane].stream;
    const s = this.staging.acquire(range.bytes, 'copying');
    new Uint8Array(s.host, 0, range.bytes).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.cu.uploadAsync(this.pointer(range), s.host, 0, range.bytes, stream);
    this.cu.eventRecord(s.event, stream);
  }

  protected override _hostBuffer(bytes: number): ArrayBuffer {
    return this.cu.hostAlloc(bytes);
  }

  /** HANDOVER_PINNED_FREE=gc leaves the memory to the buffer's finalizer (a fallback, should hostFree misbehave on a driver). */
  protected override _freeHostBuffer(buf: ArrayBuffer): void {
    if (process.env.HANDOVER_PINNED_FREE !== 'gc') this.cu.hostFree(buf);
  }

  /**
   * One DMA straight from pinned memory on the upload stream, after the
   * lane's work so far (which waited for every earlier zero-fill and copy);
   * the lane's later work waits only where awaitUpload says. Later
   * zero-fills and copies wait for it (barrier()).
   */
  protected override _upload(range: Range, host: ArrayBuffer, hostOffset: number, lane: Lane): UploadTicket {
    const done = this.uploads.issue(this.lanes[lane].stream, (stream) => {
      if (range.bytes > 0) this.cu.uploadAsync(this.pointer(range), host, hostOffset, range.bytes, stream);
    });
    const ticket = this.newTicket();
    this.uploads.track(ticket.id, done);
    return ticket;
  }

  protected override _awaitUpload(t: UploadTicket, lane: Lane): void {
    this.uploads.await(t.id, this.lanes[lane].stream);
  }

  protected override _endUploads(tickets: readonly UploadTicket[], lane: Lane): void {
    this.uploads.end(tickets.map((t) => t.id), this.lanes[lane].stream);
  }

  protected async _read(range: Range, lane: Lane): Promise<Uint8Array> {
    const stream = this.lanes[lane].stream;
    const s = this.staging.acquire(Math.max(4, range.bytes), 'held');
    if (range.bytes > 0) this.cu.downloadAsync(s.host, 0, this.pointer(range), range.bytes, stream);
    this.cu.eventRecord(s.event, stream);
    try {
      await whenDone(this.cu, s.event, lane === 'infer' ? INFER_SPIN_MS : SPIN_MS);
      return new Uint8Array(s.host.slice(0, range.bytes));
    } finally {
      this.staging.release(s);
    }
  }

  protected _zero(range: Range): void {
    if (range.bytes === 0) return;
    this.barrier(() => this.cu.zeroAsync(this.pointer(range), range.bytes, this.zeroing));
  }

  protected _copy(src: Range, dst: Range): void {
    if (src.bytes === 0) return;
    const s = this.pointer(src);
    const d = this.pointer(dst);
    const gap = Math.abs(dst.offset - src.offset);
    this.barrier(() => {
      if (src.backing.id !== dst.backing.id || gap >= src.bytes) {
        this.cu.copyAsync(d, s, src.bytes, this.zeroing);
        return;
      }
      for (const [at, n] of overlapPieces(src.bytes, gap, dst.offset < src.offset)) this.cu.copyAsync(d + at, s + at, n, this.zeroing);
    });
  }

  /** Runs `issue` (work on the barrier stream) after both lanes' work so far and before their later work. */
  private barrier(issue: () => void): void {
    LANES.forEach((l, i) => {
      this.cu.eventRecord(this.beforeZero[i]!, this.lanes[l].stream);
      this.cu.streamWaitEvent(this.zeroing, this.beforeZero[i]!);
    });
    // Uploads in flight (a weight pool's pages) come before the fill or copy too: a compaction moves what they wrote.
    this.cu.eventRecord(this.beforeZero[LANES.length]!, this.uploads.stream);
    this.cu.streamWaitEvent(this.zeroing, this.beforeZero[LANES.length]!);
    issue();
    this.cu.eventRecord(this.afterZero, this.zeroing);
    for (const l of LANES) this.cu.streamWaitEvent(this.lanes[l].stream, this.afterZero);
  }

  /** cuBLAS takes no leading dimension here: a matmul with A transposed runs whole. */
  override sliceable(l: Launch): boolean {
    return l.kernel !== 'matmul' || gemmSliceable(l.params);
  }

  protected _launch(kernel: string, ranges: Range[], params: ArrayBuffer | undefined, threads: [number, number, number], lane: Lane): void {
    if (kernel === 'matmul') return gemm(this.cu, ranges.map((r) => this.pointer(r)), params, this.lanes[lane], threads[1]);
    if (kernel === 'batched_gemm') return gemmStridedBatched(this.cu, ranges.map((r) => this.pointer(r)), params, this.lanes[lane]);
    const k = this.kernel(kernel);
    if (ranges.length !== k.bindings) throw new InvalidRangeError(`kernel ${kernel} takes ${k.bindings} bindings, got ${ranges.length}`);
    if (!params) throw new InvalidRangeError(`kernel ${kernel} takes params and none were given`);
    const ptrs = new BigUint64Array(ranges.length);
    ranges.forEach((r, i) => (ptrs[i] = this.pointer(r)));
    this.cu.launch(k.index, ptrs, params, threads[0], threads[1], threads[2], this.lanes[lane].stream);
  }

  /** Both lanes, or the ones given (zero-fills and copies are covered: both lanes wait for them). */
  protected async _submit(lanes: readonly Lane[] = LANES): Promise<void> {
    const events = this.mark(lanes);
    try {
      const spin = lanes.every((l) => l === 'infer') ? INFER_SPIN_MS : SPIN_MS; // an answer waits on the inference lane alone
      for (const e of events) await whenDone(this.cu, e, spin);
    } finally {
      for (const e of events) this.events.put(e);
    }
    this.unmapDone(false);
  }

  /** Captures the launches `issue` makes on the lane's stream into an executable graph. */
  protected override _record(id: number, lane: Lane, issue: () => void): void {
    this.graphs.record(id, this.lanes[lane].stream, issue);
  }

  protected override _replay(id: number, lane: Lane): void {
    this.graphs.replay(id, this.lanes[lane].stream);
  }

  protected override _releaseRecording(id: number, lane: Lane): void {
    const exec = this.graphs.remove(id);
    if (exec === undefined) return;
    this.deferred.push(this.mark([lane]), () => this.graphs.destroy(exec));
  }

  /** An event recorded now on each of the lanes' streams. */
  private mark(lanes: readonly Lane[]): Handle[] {
    return lanes.map((l) => {
      const e = this.events.get();
      this.cu.eventRecord(e, this.lanes[l].stream);
      return e;
    });
  }

  private kernel(name: string): Kernel {
    const k = this.kernels.get(name);
    if (!k) throw new InvalidRangeError(`no CUDA kernel named '${name}' (native-cuda/*.cu)`);
    return k;
  }

  // The device's own steps by name (eval/host-spans.ts times them on the host): reservations.ts and completion.ts do the work.

  /** Reserves a range and maps the pages into it, in order; undoes its own steps on failure. */
  private mapReservation(pages: Handle[], ownsPages: boolean): Reservation {
    return this.reservations.map(pages, ownsPages);
  }

  private unmap(r: Reservation): void {
    this.reservations.unmap(r);
  }

  /** Unmaps destroyed backings (and destroys released graphs) whose last work is done (all when `all`, after a synchronize). */
  private unmapDone(all: boolean): void {
    this.deferred.runDone(all);
  }
}
