// The colocation core (Algorithm 1 of the design, "SLO-aware reallocation"),
// written against two small interfaces so that scripted fakes test it and the
// real Trainer and ModelStore drive it:
//   - a cold model's bytes come from the free reserve, training's spare (its
//     limit beyond its largest micro-batch: nothing discarded), the reserved
//     models; else training shrinks by (need - reserve) + W; else (training at
//     its minimum) warm models are swapped out, coldest first;
//   - a model idle longer than T_idle moves to the reserve (still resident: a
//     request for it costs no cold start until its bytes are taken);
//   - above 2W the coldest reserved models are unloaded and the reserve goes
//     to training, down to W but only what training can grow into (up to its
//     micro-batch cap, at least one sample more): else they stay resident.
// Every decision goes to the event log with a timestamp.
import { InferenceMemoryError, SchedParameterError, UnknownSchedModelError, WaitForUnpin } from './errors.js';
import { EventLog, type SchedEvent } from './events.js';
import { checkedTrimAbove, growInto, type Admission, type AdmitPath, type CoreConfig, type CoreSnapshot, type CoreStats, type CoreModel as Model, type MemorySide, type ModelSide, type ModelState } from './core-types.js';

export type { Admission, AdmitPath, CoreConfig, CoreSnapshot, CoreStats, Headroom, MemorySide, ModelSide, ModelState } from './core-types.js';

export class ColocationCore {
  readonly log: EventLog;
  readonly stats: CoreStats = { admits: 0, warmHits: 0, reuses: 0, coldStarts: 0, requires: 0, spareRequires: 0, requiredBytes: 0, releases: 0, releasedBytes: 0, swapOuts: 0, evictions: 0, deferredRequires: 0, deferredBytes: 0 };
  private readonly models = new Map<string, Model>();
  /** Inference-owned bytes holding no model: the free part of the reserve. */
  private free: number;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | null = null;
  private unpinWaiters: (() => void)[] = [];
  private readonly trimAbove: number;
  /** Bytes asked of training at its next micro-batch boundary whose limit has not dropped yet. */
  private asking = 0;
  /** Bytes that left training's limit at a micro-batch boundary and are not free yet (part of the ledger, not usable). */
  private pending = 0;
  /** Requests waiting for the lock, per model: a REQUIRE asks for the cold ones among them too (one handover, not one each). */
  private readonly queued = new Map<Model, number>();

  constructor(
    readonly memory: MemorySide,
    readonly modelSide: ModelSide,
    readonly config: CoreConfig,
    readonly now: () => number = () => performance.now(),
    opts: { initialReserveBytes?: number; log?: EventLog } = {},
  ) {
    this.trimAbove = checkedTrimAbove(config);
    this.free = opts.initialReserveBytes ?? 0;
    this.log = opts.log ?? new EventLog();
  }

  register(name: string): void {
    if (this.models.has(name)) return;
    const bytes = this.modelSide.bytes(name);
    if (!(bytes >= 0)) throw new SchedParameterError(`bytes of '${name}'`, bytes, 'bytes >= 0');
    this.models.set(name, { name, bytes, state: 'cold', lastUsed: -Infinity, pinned: 0, loading: null });
  }

  state(name: string): ModelState {
    return this.model(name).state;
  }

  get freeBytes(): number {
    return this.free;
  }

  get reserveBytes(): number {
    let r = this.free;
    for (const m of this.models.values()) if (m.state === 'reserved') r += m.bytes;
    return r;
  }

  /** Bytes training gave at its next micro-batch boundary that are not free yet: inferenceBytes + pendingBytes is what training's limit leaves. */
  get pendingBytes(): number {
    return this.pending;
  }

  get inferenceBytes(): number {
    let r = this.free;
    for (const m of this.models.values()) if (m.state !== 'cold') r += m.bytes;
    return r;
  }

  snapshot(): CoreSnapshot {
    const models = [...this.models.values()].map((m) => ({ name: m.name, state: m.state, bytes: m.bytes, lastUsed: m.lastUsed, pinned: m.pinned }));
    const warmBytes = models.filter((m) => m.state === 'warm' || m.state === 'loading').reduce((a, m) => a + m.bytes, 0);
    return { t: this.now(), freeBytes: this.free, reserveBytes: this.reserveBytes, warmBytes, inferenceBytes: this.inferenceBytes, models };
  }

  /**
   * A request for `name` arrives: make the model resident and pin it until
   * `complete(name)`. Resolves when the model is ready to run. `requests`:
   * how many requests this run carries (a dynamic batch), for the counts.
   */
  async admit(name: string, requests = 1): Promise<Admission> {
    const m = this.model(name);
    const t0 = this.now();
    this.stats.admits += requests; // a dynamic batch carries several requests: each counts
    if (m.state === 'warm') {
      m.pinned++;
      m.lastUsed = t0;
      this.stats.warmHits += requests;
      return { model: name, path: 'warm', coldStart: false, waitMs: 0 };
    }
    m.pinned++;
    // A resident model (in the reserve, or loading for another request) never waits behind another model's REQUIRE or load.
    const fast = this.residentPath(m);
    if (fast) {
      try {
        await this.loaded(m);
      } catch (e) {
        m.pinned--;
        throw e;
      }
      m.lastUsed = this.now();
      return { model: name, path: fast, coldStart: fast !== 'reuse', waitMs: this.now() - t0 };
    }
    this.queued.set(m, (this.queued.get(m) ?? 0) + 1);
    try {
      let path: AdmitPath;
      try {
        for (;;) {
          try {
            path = await this.serial(() => this.makeResident(m));
            break;
          } catch (e) {
            if (!(e instanceof WaitForUnpin)) throw e;
            await e.unpinned; // memory is pinned by running requests; registered inside the lock, so no wake-up is lost
          }
        }
      } finally {
        const n = this.queued.get(m)! - 1;
        if (n > 0) this.queued.set(m, n);
        else this.queued.delete(m);
      }
      await this.loaded(m);
      if ((m.state as ModelState) !== 'warm' && !(m.loading && this.pipelinesColdStarts)) throw new InferenceMemoryError(name, m.bytes, this.reserveBytes, 0, 0);
      m.lastUsed = this.now();
      return { model: name, path, coldStart: path !== 'warm' && path !== 'reuse', waitMs: this.now() - t0 };
    } catch (e) {
      m.pinned--;
      throw e;
    }
  }

  /** Runs start while their model loads (pipelined cold starts). */
  private get pipelinesColdStarts(): boolean {
    return this.config.pipelinedColdStart === true && this.modelSide.runsWhileLoading === true;
  }

  /** Waits for a loading model's load, or (pipelined cold starts) only for it to be issued: the run waits per layer. */
  private async loaded(m: Model): Promise<void> {
    if (!m.loading) return;
    if (!this.pipelinesColdStarts) return m.loading;
    m.loading.catch(() => undefined); // its failure reaches the run (the weights never come) and the load event
  }

  /** The request for `name` finished: unpin, and it counts as used now. */
  complete(name: string): void {
    const m = this.model(name);
    if (m.pinned > 0) m.pinned--;
    m.lastUsed = this.now();
    if (m.pinned === 0 && this.unpinWaiters.length) {
      const w = this.unpinWaiters;
      this.unpinWaiters = [];
      w.forEach((f) => f());
    }
  }

  /**
   * Idle expiry and reserve trimming; call periodically (or `startTicking`).
   * `giveBack`: trim whether or not training can use the memory now (the end
   * of a storm gives every idle model's pages back).
   */
  tick(giveBack = false): Promise<void> {
    return this.serial(() => this.expireAndTrim(giveBack));
  }

  startTicking(everyMs: number): void {
    this.stopTicking();
    this.timer = setInterval(() => void this.tick().catch(() => undefined), everyMs);
    this.timer.unref?.();
  }

  stopTicking(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private model(name: string): Model {
    const m = this.models.get(name);
    if (!m) throw new UnknownSchedModelError(name);
    return m;
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const r = this.lock.then(job);
    this.lock = r.catch(() => undefined);
    return r;
  }

  private emit(e: Omit<SchedEvent, 't' | 'reserveBytes' | 'inferenceBytes'>): void {
    this.log.push({ t: this.now(), ...e, reserveBytes: this.reserveBytes, inferenceBytes: this.inferenceBytes });
  }

  private coldestFirst(state: ModelState, unpinnedOnly: boolean): Model[] {
    return [...this.models.values()].filter((m) => m.state === state && (!unpinnedOnly || m.pinned === 0)).sort((a, b) => a.lastUsed - b.lastUsed);
  }

  /** Bytes of the cold models other than `m` whose requests wait for the lock. */
  private queuedColdBytes(m: Model): number {
    let b = 0;
    for (const q of this.queued.keys()) if (q !== m && q.state === 'cold') b += q.bytes;
    return b;
  }

  /** Outside the lock: a model in the reserve is warm again at once; a loading one is joined. Null: it is cold. */
  private residentPath(m: Model): AdmitPath | null {
    if (m.state === 'loading') return 'joined';
    if (m.state !== 'reserved') return null;
    m.state = 'warm';
    this.stats.reuses++;
    this.emit({ kind: 'reuse', model: m.name, bytes: m.bytes, reason: 'requested while in the reserve: still resident, no cold start' });
    return 'reuse';
  }

  private async makeResident(m: Model): Promise<AdmitPath> {
    if (m.state === 'warm') return 'joined'; // it was not warm when this request arrived: it waited for a load
    const resident = this.residentPath(m);
    if (resident) return resident;
    const need = m.bytes;
    let path: AdmitPath = 'reserve';
    // Training's spare (its limit beyond its largest micro-batch) pays before an idle model in the reserve: taking it discards nothing.
    if (need > this.free && (await this.takeSpare(need - this.free + this.queuedColdBytes(m), m.name))) path = 'train';
    const short = () => need - this.reserveBytes;
    if (short() > 0) {
      // Again only if training gave all it was asked and a request took a reserved model back (outside the lock) meanwhile;
      // a training that gave less is near its minimum: swap rather than discard again.
      for (let gaveAll = true; gaveAll && short() > 0 && this.config.requireFromTraining !== false && !this.memory.atMinimum(); ) {
        const [reserve, free] = [this.reserveBytes, this.free];
        path = 'train';
        // Discard only what this request needs: the watermark's top-up waits for the next micro-batch where it can.
        const defer = !this.config.requireAll && this.memory.yieldAtBoundary !== undefined;
        const queued = this.config.requireAll ? 0 : this.queuedColdBytes(m);
        const ask = this.config.requireAll ? Infinity : short() + queued + (defer ? 0 : this.config.watermarkBytes);
        const t0 = this.now();
        const { freedBytes } = await this.memory.require(ask);
        gaveAll = freedBytes >= ask;
        this.free += freedBytes;
        this.stats.requires++;
        this.stats.requiredBytes += freedBytes;
        this.emit({ kind: 'require', model: m.name, bytes: Number.isFinite(ask) ? ask : freedBytes, freedBytes, ms: this.now() - t0, reason: `reserve ${reserve} (free ${free}) < need ${need}: shrink training by (need - reserve)${queued ? ` + ${queued} for the cold models queued behind it` : ''}${defer ? '' : ' + W'}` });
      }
      if (this.reserveBytes < need) {
        path = 'swap';
        await this.swapOut(m, need);
      }
    }
    await this.evictReserved(need, `making room for '${m.name}'`);
    // A request took a reserved model back (outside the lock) while this one counted it: decide again.
    if (this.free < need) return this.makeResident(m);
    if (path === 'reserve') this.emit({ kind: 'take-reserve', model: m.name, bytes: need, reason: 'cold model served from the reserve' });
    this.free -= need;
    if (path !== 'swap') this.refillWatermark(m.name);
    m.state = 'loading';
    this.stats.coldStarts++;
    const pipelined = this.pipelinesColdStarts || (path === 'swap' && this.config.pipelinedSwap !== false);
    m.loading = this.load(m, pipelined);
    return path;
  }

  /**
   * Training's spare (MemorySide.headroom), up to `bytes`: given without a discard (before round 7 the
   * core took from training whenever its largest micro-batch fit, spare or not: at the cap, a discard).
   */
  private async takeSpare(bytes: number, forModel: string): Promise<boolean> {
    if (this.config.requireAll || this.config.requireFromTraining === false) return false;
    const ask = Math.min(bytes, this.memory.headroom?.().spareBytes ?? 0);
    if (ask <= 0) return false;
    const t0 = this.now();
    const { freedBytes } = await this.memory.require(ask);
    this.free += freedBytes;
    this.stats.requires++;
    this.stats.spareRequires++;
    this.stats.requiredBytes += freedBytes;
    this.emit({ kind: 'require', model: forModel, bytes: ask, freedBytes, ms: this.now() - t0, reason: `free ${this.free - freedBytes} < need: training's spare beyond its largest micro-batch (nothing discarded, no idle model unloaded)` });
    return freedBytes > 0;
  }

  /**
   * The reserve fell below W: training gives the difference at its next
   * micro-batch boundary (nothing running is discarded); the bytes join the
   * reserve when they are free. Only where the memory side can defer.
   * Training's spare counts as reserve: a cold start takes it first.
   */
  private refillWatermark(forModel: string): void {
    const yieldAt = this.memory.yieldAtBoundary?.bind(this.memory);
    if (!yieldAt || this.config.requireAll || this.config.requireFromTraining === false || this.memory.atMinimum()) return;
    const ask = this.config.watermarkBytes - this.reserveBytes - (this.memory.headroom?.().spareBytes ?? 0) - this.pending - this.asking;
    if (ask <= 0) return;
    this.asking += ask;
    const t0 = this.now();
    void yieldAt(ask)
      .then(async ({ freedBytes, free }) => {
        this.asking -= ask;
        this.pending += freedBytes;
        await free;
        this.pending -= freedBytes;
        this.free += freedBytes;
        this.stats.deferredRequires++;
        this.stats.deferredBytes += freedBytes;
        this.emit({ kind: 'require', model: forModel, bytes: ask, freedBytes, ms: this.now() - t0, reason: `reserve below W after '${forModel}': training sized its next micro-batch without it (nothing discarded)` });
      })
      .catch(() => (this.asking = Math.max(0, this.asking - ask)));
  }

  private async load(m: Model, pipelined: boolean): Promise<void> {
    const t0 = this.now();
    try {
      await this.modelSide.load(m.name, { pipelined });
      m.state = 'warm';
      this.emit({ kind: 'load', model: m.name, bytes: m.bytes, ms: this.now() - t0, pipelined, reason: 'cold start' });
    } catch (e) {
      m.state = 'cold';
      this.free += m.bytes;
      this.emit({ kind: 'load-failed', model: m.name, bytes: m.bytes, ms: this.now() - t0, reason: (e as Error).message });
      throw e;
    } finally {
      m.loading = null;
    }
  }

  /** Training cannot give more: swap warm, unpinned models out, coldest first, until the reserve covers `need`. */
  private async swapOut(forModel: Model, need: number): Promise<void> {
    for (const v of this.coldestFirst('warm', true)) {
      if (this.reserveBytes >= need) return;
      if (v === forModel || v.state !== 'warm' || v.pinned > 0) continue; // or a request took it (warm fast path) during an earlier unload
      v.state = 'cold'; // first: a request arriving during the unload must not take the warm fast path
      await this.modelSide.unload(v.name);
      this.free += v.bytes;
      this.stats.swapOuts++;
      this.emit({ kind: 'swap-out', model: v.name, bytes: v.bytes, reason: `training at its minimum: swapped out (coldest) for '${forModel.name}'` });
    }
    if (this.reserveBytes < need) {
      const resident = [...this.models.values()].filter((x) => x.state === 'warm' || x.state === 'loading');
      const warm = resident.reduce((s, x) => s + x.bytes, 0);
      const pinned = resident.reduce((s, x) => s + (x.pinned > 0 ? x.bytes : 0), 0);
      if (this.reserveBytes + pinned >= need) throw new WaitForUnpin(new Promise<void>((r) => this.unpinWaiters.push(r)));
      throw new InferenceMemoryError(forModel.name, need, this.reserveBytes, warm, pinned);
    }
  }

  /** Unload reserved models, coldest first, until the free bytes cover `bytes`. */
  private async evictReserved(bytes: number, reason: string): Promise<void> {
    for (const v of this.coldestFirst('reserved', false)) {
      if (this.free >= bytes) return;
      if (v.state !== 'reserved') continue; // a request took it back while an unload ran
      v.state = 'cold';
      await this.modelSide.unload(v.name);
      this.free += v.bytes;
      this.stats.evictions++;
      this.emit({ kind: 'evict', model: v.name, bytes: v.bytes, reason: `coldest reserved model unloaded: ${reason}` });
    }
  }

  /** Gives `bytes` of the free reserve to training, counted and logged. */
  private giveTraining(bytes: number, reason: string): void {
    const give = bytes > 0 ? this.memory.release(bytes) : 0;
    if (give <= 0) return;
    this.free -= give;
    this.stats.releases++;
    this.stats.releasedBytes += give;
    this.emit({ kind: 'release', model: null, bytes: give, reason });
  }

  private async expireAndTrim(giveBack = false): Promise<void> {
    const t = this.now();
    for (const m of this.coldestFirst('warm', true)) {
      const idle = t - m.lastUsed;
      const limit = this.config.tIdleMsByModel?.[m.name] ?? this.config.tIdleMs;
      if (idle > limit) {
        m.state = 'reserved';
        this.emit({ kind: 'idle', model: m.name, bytes: m.bytes, reason: `idle ${Math.round(idle)} ms > T_idle ${limit} ms: moved to the reserve` });
      }
    }
    const [reserve, W] = [this.reserveBytes, this.config.watermarkBytes];
    const room = giveBack || this.config.requireAll ? undefined : this.memory.headroom?.(); // TaskSwitch gives all of it back
    if (reserve <= this.trimAbove) {
      // Between W and 2W no idle model leaves; the free reserve beyond W goes to a training that can grow into it (round 7).
      const lends = this.config.lendFreeReserve === true && this.config.requireFromTraining !== false && !this.config.requireAll && !this.config.trimOnlyWhenIdle;
      if (room && lends) this.giveTraining(growInto(Math.min(this.free, reserve - W), room), `free reserve beyond W ${W} to training below its cap (no model unloaded)`);
      return;
    }
    if (this.config.trimOnlyWhenIdle && [...this.models.values()].some((m) => m.state === 'warm' || m.state === 'loading')) return;
    let excess = reserve - W;
    if (room) excess = growInto(excess, room); // only what training can grow into: the other idle models stay resident
    else if (!giveBack && this.memory.wantsMemory?.() === false) return; // its largest micro-batch fits: unloading would gain it nothing
    if (excess <= 0) return;
    await this.evictReserved(excess, `reserve ${reserve} > ${this.trimAbove} (2W): trimming to W`);
    this.giveTraining(Math.min(excess, this.free), `reserve ${reserve} > ${this.trimAbove} (2W): released to training down to W ${W}${room ? ', no more than it can grow into' : ''}`);
  }
}
