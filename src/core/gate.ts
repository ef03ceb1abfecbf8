// The gate: training kernels are not launched directly. They enter a CPU-side
// queue, and the gate keeps at most K command buffers in flight on the GPU.
// close() refuses new work, drops what is queued, waits only for what is in
// flight, and returns a Drained proof: no training kernel can still touch
// training memory. A close during the model-update (MU) phase first waits for
// MU to end, so an update is never torn. With a slicing policy (one-queue
// devices), while inference runs or is expected the gate keeps at most one
// slice budget of training work on the GPU, cutting long kernels into slices
// of output rows (src/core/slicing.ts, src/core/launch-queue.ts), and while
// requests come in a burst it launches nothing (until the burst is over or a
// REQUIRE needs training to move: unpaused()).

import type { GpuDevice, Launch } from './device.js';
import { Drained, nextSeq } from './drained.js';
import { DeviceError, GateClosedError, InvalidRangeError } from './errors.js';
import { LaunchQueue, type InFlightWork, type Piece } from './launch-queue.js';
import type { SlicingPolicy } from './slicing.js';

export type { InFlightWork } from './launch-queue.js';

export type Phase = 'idle' | 'gc' | 'mu';
export type GateState = 'open' | 'closing' | 'closed';

export interface GateOptions {
  /** Command buffers in flight at most (K). */
  maxInFlight?: number;
  /** Time-sliced training (one-queue devices): see src/core/slicing.ts. */
  slicing?: SlicingPolicy | null;
}

export interface CloseResult {
  drained: Drained;
  /** Command buffers dropped from the queue. */
  dropped: number;
  /** The close had to wait for a model update to finish. */
  waitedForUpdate: boolean;
  /** The phase when the close was asked for ('gc': a micro-batch was discarded). */
  phaseAtClose: Phase;
  /** Milliseconds from close() to the proof. */
  ms: number;
}

export class Gate {
  readonly maxInFlight: number;
  private readonly queue: LaunchQueue;
  private inFlight = 0;
  private _state: GateState = 'open';
  private _phase: Phase = 'idle';
  private error: DeviceError | null = null;
  private idleWaiters: { res: () => void; rej: (e: Error) => void }[] = [];
  private issuedWaiters: { res: () => void; rej: (e: Error) => void }[] = [];
  /** Pieces of a model update ended without waiting (endUpdate wait: false) that are still on the GPU. */
  private readonly updating = new Set<Piece>();
  /** Times beginUpdate/endUpdate waited for the GPU to finish work, since creation (host round trips). */
  hostWaits = 0;
  /** Milliseconds the host spent in those waits, since creation. */
  hostWaitMs = 0;
  private updateEnd: (() => void)[] = [];
  private holds = 0;
  private heldSince = 0;
  /** Closes asked for since creation; a micro-batch that saw one must not enter MU. */
  private closes = 0;
  private computeEpoch = 0;
  /** A close waits for the model update: its kernels launch even while inference holds the gate. */
  private finishUpdate = false;
  /** Kernels launched onto the GPU and dropped, since creation. */
  launched = 0;
  dropped = 0;
  /** Time slicing of training work, or null (whole command buffers, as queued). */
  slicing: SlicingPolicy | null;
  private readonly flying = new Set<Piece>();
  /** Sliced submissions made (every 32nd starts with an empty one, timed). */
  private sliceSubmits = 0;
  /** Wakes the pump when a burst of requests is predicted to be over. */
  private wake: { at: number; timer: ReturnType<typeof setTimeout> } | null = null;
  /** Times the pump found training paused by a burst of requests, since creation. */
  pauses = 0;

  constructor(readonly device: GpuDevice, opts: GateOptions = {}) {
    this.maxInFlight = opts.maxInFlight ?? 4;
    this.slicing = opts.slicing ?? null;
    this.queue = new LaunchQueue(device);
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1)
      throw new InvalidRangeError(`gate maxInFlight must be a positive integer, got ${opts.maxInFlight}`);
  }

  get state(): GateState {
    return this._state;
  }

  get phase(): Phase {
    return this._phase;
  }

  /** True once a close was asked for: the trainer checks this at every operator. */
  get closing(): boolean {
    return this._state !== 'open';
  }

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.inFlight;
  }

  /** The training launches on the GPU now (what a request that arrives waits behind). */
  get inFlightWork(): InFlightWork[] {
    return [...this.flying].flatMap((p) => p.work);
  }

  /** Launches that were a slice of a longer one, since creation. */
  get slices(): number {
    return this.queue.slices;
  }

  /** The head launch of the queue is part-way through its slices (a kernel cut in the middle). */
  get midKernel(): boolean {
    return this.queue.midKernel;
  }

  /** Whether training is being cut into slices now. */
  get sliced(): boolean {
    return this.slicing?.active(this.holds > 0) ?? false;
  }

  /**
   * Queues one command buffer of launches. Ranges are resolved now: training
   * memory never moves, and a free after this call must not redirect it.
   */
  enqueue(launches: Launch | readonly Launch[], name?: string): void {
    const list = Array.isArray(launches) ? (launches as Launch[]) : [launches as Launch];
    const label = name ?? list.map((l) => l.kernel).join('+');
    if (this.error) throw this.error;
    const acceptingUpdate = this._phase === 'mu' && this._state === 'closing';
    if (this._state !== 'open' && !acceptingUpdate) throw new GateClosedError(label);
    this.queue.push(label, list);
    this.pump();
  }

  /** Marks the start of gradient computation (forward and backward). */
  beginCompute(): void {
    if (this._state !== 'open') throw new GateClosedError('begin gradient computation');
    this._phase = 'gc';
    this.computeEpoch = this.closes;
  }

  /**
   * Enters the model update: waits until the GPU has finished all gradient
   * work, so "CPU in MU" means "GPU done with GC". Throws GateClosedError if a
   * close arrived first (the micro-batch is then discarded).
   */
  async beginUpdate(): Promise<void> {
    const afterCompute = this._phase === 'gc';
    const epoch = this.computeEpoch;
    await this.waitIdle();
    // A close since beginCompute dropped some of this micro-batch's kernels,
    // even if the gate has opened again by the time this wakes. (An update
    // with no gradient computation before it only needs the gate open.)
    if (this._state !== 'open' || (afterCompute && this.closes !== epoch)) throw new GateClosedError('begin model update');
    this._phase = 'mu';
  }

  /**
   * Ends the model update; a deferred close proceeds. By default once the
   * update's kernels have finished. With `wait: false` (a device with one
   * queue, where later training work runs after the update anyway) once they
   * have all been launched: the update is then atomic on the GPU (nothing of
   * it is left to drop), a close after this waits for it with the rest of
   * the work in flight (close() awaits idle before its proof, and reports
   * waitedForUpdate), and the next micro-batch's kernels queue behind it
   * instead of the GPU idling while the host learns that it ended.
   */
  async endUpdate(opts: { wait?: boolean } = {}): Promise<void> {
    if (opts.wait === false) {
      await this.issued();
      for (const p of this.flying) this.updating.add(p);
    } else await this.waitIdle();
    this._phase = 'idle';
    this.finishUpdate = false;
    const waiters = this.updateEnd;
    this.updateEnd = [];
    waiters.forEach((w) => w());
  }

  /**
   * Inference is running: launch no new training work until resume(). Work
   * in flight finishes; queued work waits (nothing is dropped). Holds nest.
   * On a GPU with one queue (WebGPU) this is how inference gets the device
   * first; CUDA can also partition SMs.
   */
  hold(): void {
    if (this.holds++ === 0) this.heldSince = this.slicing?.clock() ?? 0;
  }

  resume(): void {
    if (this.holds === 0) throw new InvalidRangeError('gate resume() without a matching hold()');
    this.holds--;
    if (this.holds > 0) return;
    // With time slicing, a hold is a request: more are expected for a while (training stays sliced).
    this.slicing?.inferenceHeld(this.slicing.clock() - this.heldSince);
    this.pump();
  }

  get held(): boolean {
    return this.holds > 0;
  }

  /** Whether training is paused now by a burst of requests (slicing policy). */
  get paused(): boolean {
    return this.slicing?.pausedUntil() != null;
  }

  /**
   * Runs `fn` (a REQUIRE) with no burst pause: training must be able to
   * finish its model update or the batch a naive handover waits for.
   */
  async unpaused<T>(fn: () => Promise<T>): Promise<T> {
    const unlift = this.slicing?.lift();
    if (unlift) this.pump();
    try {
      return await fn();
    } finally {
      unlift?.();
    }
  }

  /** idle() from a model-update boundary, counted in hostWaits (and its time in hostWaitMs) when work was pending. */
  private async waitIdle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return this.idle();
    this.hostWaits++;
    const t0 = performance.now();
    try {
      await this.idle();
    } finally {
      this.hostWaitMs += performance.now() - t0;
    }
  }

  /** Waits until nothing is queued (all launched; some may still run), without dropping anything. */
  issued(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((res, rej) => this.issuedWaiters.push({ res, rej }));
  }

  /** Waits until nothing is queued or in flight, without dropping anything. */
  idle(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((res, rej) => this.idleWaiters.push({ res, rej }));
  }

  /** Runs everything queued to completion; the proof covers frees made before this call. */
  async drain(): Promise<Drained> {
    const start = nextSeq();
    await this.idle();
    return Drained.issue('train', start);
  }

  /** With the gate closed and idle, frees made so far are safe at once. */
  proof(): Drained {
    if (this._state !== 'closed' || this.inFlight > 0 || this.queue.length > 0)
      throw new InvalidRangeError(`gate proof needs a closed, idle gate (state ${this._state}, ${this.inFlight} in flight)`);
    return Drained.issue('train', nextSeq());
  }

  async close(): Promise<CloseResult> {
    const t0 = performance.now();
    const phaseAtClose = this._phase;
    if (this._state === 'open') this._state = 'closing';
    this.closes++;
    // An update ended without waiting whose kernels still run: the idle() below waits for them.
    let waitedForUpdate = this.updating.size > 0;
    if (this._phase === 'mu') {
      waitedForUpdate = true;
      const ended = new Promise<void>((res) => this.updateEnd.push(res));
      // A held gate would keep the update's kernels queued, and this close
      // (which the hold's owner may be waiting for) would wait forever.
      this.finishUpdate = true;
      this.pump();
      await ended;
    }
    const dropped = this.queue.clear();
    this.dropped += dropped;
    // Whoever waits for the queue to empty (a held gate launches nothing, so
    // no completion would wake them) learns of the close now.
    this.settle();
    const start = nextSeq();
    await this.idle();
    this._state = 'closed';
    if (this._phase === 'gc') this._phase = 'idle';
    return { drained: Drained.issue('train', start), dropped, waitedForUpdate, phaseAtClose, ms: performance.now() - t0 };
  }

  /** Lets training kernels in again. */
  open(): void {
    if (this._state === 'closing') throw new InvalidRangeError('gate is still closing; await close() first');
    this._state = 'open';
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const sliced = this.sliced;
      if (this.holds > 0 && !this.finishUpdate) break;
      if (!this.finishUpdate && this.pausedByBurst()) break;
      if (this.inFlight >= (sliced ? this.slicing!.slicesOnQueue : this.maxInFlight)) break;
      if (sliced && this.inFlight === 0 && this.sliceSubmits++ % 32 === 0) this.measureSubmit();
      const piece = sliced ? this.queue.takeSlice(this.slicing!) : this.queue.takeItem();
      const clock = this.slicing?.clock;
      const h0 = clock?.() ?? 0;
      try {
        for (const l of piece.launches) this.device.launch(l);
      } catch (e) {
        this.fail(e instanceof DeviceError ? e : new DeviceError(`gate launch of ${piece.name}`, String(e)));
        return;
      }
      // Submit-to-done measures a piece from its submit, or from the end of the training piece ahead of it.
      const ahead = [...this.flying].at(-1) ?? null;
      const start = clock?.() ?? 0;
      this.inFlight++;
      this.flying.add(piece);
      this.launched += piece.launches.length;
      const done = this.device.submit();
      if (clock && sliced) this.slicing!.model.observeHost(clock() - h0); // the host's part of a slice
      done.then(
        () => {
          if (clock) {
            piece.end = clock();
            this.slicing!.model.observe(piece.costs, piece.end - Math.max(start, ahead?.end ?? start));
          }
          this.flying.delete(piece);
          this.updating.delete(piece);
          this.inFlight--;
          this.pump();
          this.settle();
        },
        (e: unknown) => {
          this.flying.delete(piece);
          this.updating.delete(piece);
          this.inFlight--;
          this.fail(e instanceof DeviceError ? e : new DeviceError(`gate submit of ${piece.name}`, String(e)));
        },
      );
    }
    this.settle();
  }

  /** Training is paused by a burst of requests: the pump wakes when the burst is predicted over. */
  private pausedByBurst(): boolean {
    const until = this.slicing?.pausedUntil();
    if (until == null) return false;
    this.pauses++;
    if (!this.wake || this.wake.at > until) {
      if (this.wake) clearTimeout(this.wake.timer);
      const timer = setTimeout(() => {
        this.wake = null;
        this.pump();
      }, Math.max(1, until - this.slicing!.clock())); // not unref'd: training waiting on a pause must keep the process alive
      this.wake = { at: until, timer };
    }
    return true;
  }

  /** Times an empty submission (the fixed cost of one) for the cost model; nothing of training is ahead of it. */
  private measureSubmit(): void {
    const policy = this.slicing!;
    const t0 = policy.clock();
    this.device.submit().then(
      () => policy.model.observeSubmit(policy.clock() - t0),
      () => undefined, // a device error surfaces through the training submissions
    );
  }

  private settle(): void {
    if (this.queue.length === 0 && this.issuedWaiters.length > 0) {
      const w = this.issuedWaiters;
      this.issuedWaiters = [];
      w.forEach((f) => f.res());
    }
    if (this.queue.length === 0 && this.inFlight === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      w.forEach((f) => f.res());
    }
  }

  private fail(e: DeviceError): void {
    this.error ??= e;
    this.queue.clear();
    const w = [...this.idleWaiters, ...this.issuedWaiters];
    this.idleWaiters = [];
    this.issuedWaiters = [];
    w.forEach((f) => f.rej(e));
  }
}
