// Continuous batching over the paged KV cache. Requests wait in a queue;
// at each step boundary the batcher admits as many as the batch and the KV
// blocks allow (their prefill runs in this step), runs one decode step for
// every running sequence, and retires the sequences that stopped. Admission
// takes only the prompt's blocks: a sequence takes one more block each time
// it crosses a block boundary, so KV memory follows the live tokens.
//
// Elasticity: when the cache cannot grow, the batcher asks the memory side
// (training) for the missing bytes (REQUIRE: training discards its running
// micro-batch), plus the watermark W where training cannot defer. Where it
// can (yieldAtBoundary), the KV plan (kv-plan.ts, kv-planner.ts) asks ahead,
// at training's next micro-batch boundary (nothing discarded), for the pages
// the running sequences and the next queued ones can still reach plus a
// reserve sized from the arriving demand; an admission whose pages are on
// their way waits for them at most maxDeferMs, then requires them; what is
// borrowed goes back lazily. When training is at its minimum, new requests
// stay queued (counted in `metrics.queuedAtMinimum`) and a running sequence
// that cannot grow is preempted: its blocks go back and it rejoins the head of
// the queue with the tokens generated so far (recomputed by its next
// prefill). A run whose workspace does not fit asks training the same way.
// Without the plan, when the burst is over (nothing runs or waits),
// everything borrowed goes back (RELEASE). close() ends the plan's timers.
import type { MemorySide } from '../sched/core.js';
import { BlocksExhaustedError, GenerateInputError, QueueDeadlineError } from './errors.js';
import type { BatchRequest, BatchResult, BatcherMetrics, BatcherOptions } from './batcher-types.js';
import type { Generator, GenerateResult } from './generate.js';
import type { PagedKvCache } from './kv-cache.js';
import { KvPlan } from './kv-plan.js';
import { KvPlanner } from './kv-planner.js';
import { checkSampling, sampleToken, seededRandom } from './sampling.js';

export type { BatchRequest, BatchResult, BatcherMetrics, BatcherOptions } from './batcher-types.js';

interface Job {
  req: BatchRequest;
  /** Tokens the next prefill runs: the prompt, plus tokens generated before a preemption. */
  context: number[];
  tokens: number[];
  tbtMs: number[];
  ttftMs: number;
  submitted: number;
  queuedMs: number;
  last: number;
  random: () => number;
  preemptions: number;
  countedAtMinimum: boolean;
  /** performance.now() when its admission was first put off for pages on their way (null: not put off). */
  deferredSince: number | null;
  seq: number;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

/** The wait before asking again when nothing fits but training can still give. */
const STALL_MS = 10;

export class Batcher {
  readonly metrics: BatcherMetrics = {
    steps: 0, admitted: 0, finished: 0, queued: 0, queuedAtMinimum: 0, preemptions: 0, aborted: 0, rejected: 0, stalls: 0,
    requires: 0, requiredBytes: 0, yields: 0, yieldedBytes: 0, deferredAdmissions: 0, deferralsExpired: 0, maxDeferWaitMs: 0, boundaryWaits: 0, boundaryWaitMs: 0, requiresFor: { admission: 0, block: 0, workspace: 0 }, releases: 0, releasedBytes: 0, borrowedBytes: 0, maxRunning: 0, maxStepPrefillTokens: 0, kvPages: [],
  };
  private readonly waiting: Job[] = [];
  private running: Job[] = [];
  private loop: Promise<void> | null = null;
  private readonly t0 = performance.now();
  private readonly maxBatch: number;
  private readonly watermark: number;
  private readonly prefillBudget: number;
  private readonly planner: KvPlanner | null;
  /** The last step's duration (ms): when the next step boundary is expected. */
  private lastStepMs = 0;
  private closed = false;
  /** A wait for pages on their way lifts inference's hold on training (BatcherOptions.unheld). */
  private readonly lifts: boolean;

  constructor(
    readonly gen: Generator,
    readonly cache: PagedKvCache,
    readonly memory: MemorySide,
    opts: BatcherOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 8;
    this.watermark = opts.watermarkBytes ?? cache.arena.pageBytes;
    this.prefillBudget = opts.maxPrefillTokens ?? Infinity;
    this.lifts = opts.unheld !== undefined && opts.awaitBoundary !== false;
    const canPlan = opts.plan !== false && memory.yieldAtBoundary !== undefined && !Number.isFinite(cache.maxPages);
    const plan = canPlan ? new KvPlan({ ...(opts.plan || {}), watermarkBytes: this.watermark }) : null;
    this.planner = plan && new KvPlanner(plan, cache, memory, this.metrics, () => this.comingBlocks(), opts.maxDeferMs ?? 50, opts.unheld ?? null, opts.awaitBoundary ?? true);
    if (this.planner) cache.withinShare = true;
    if (!(this.prefillBudget >= 1)) throw new GenerateInputError('maxPrefillTokens', `must be >= 1, got ${this.prefillBudget}`);
    if (gen.cache !== cache) throw new GenerateInputError('cache', 'the generator must run on the batcher\'s paged cache');
    gen.onOutOfMemory = (e) => this.roomForWorkspace(e.requested);
  }

  /** Queues a request; resolves when it stops (length or end token). */
  submit(req: BatchRequest): Promise<BatchResult> {
    if (this.closed) throw new GenerateInputError('batcher', 'is closed: its system stopped');
    this.gen.checkPrompt(req.prompt, req.maxTokens);
    checkSampling(req);
    return new Promise<BatchResult>((resolve, reject) => {
      const now = performance.now();
      this.waiting.push({
        req, context: [...req.prompt], tokens: [], tbtMs: [], ttftMs: 0, submitted: now, queuedMs: 0, last: now,
        random: seededRandom(req.seed ?? 0), preemptions: 0, countedAtMinimum: false, deferredSince: null, seq: 0, resolve, reject,
      });
      this.metrics.queued = this.waiting.length;
      this.planner?.arrived(this.reachBlocks(this.waiting[this.waiting.length - 1]!), now);
      this.loop ??= this.run().finally(() => (this.loop = null));
    });
  }

  /** Resolves when every submitted request has finished. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** Serves what was submitted, then takes no more requests and stops the plan's idle timer (which would release into a stopped trainer). */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle().catch(() => undefined);
    this.planner?.close();
  }

  private async run(): Promise<void> {
    while (this.waiting.length > 0 || this.running.length > 0) {
      try {
        await this.step();
      } catch (e) {
        for (const j of [...this.running, ...this.waiting.splice(0)]) j.reject(e);
        for (const j of this.running) await this.cache.end(j.seq).catch(() => undefined);
        this.running = [];
        this.metrics.queued = 0;
        return;
      }
      // Let requests arriving meanwhile join at the next step boundary.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** One step boundary: grow running sequences, admit waiting ones, run, retire. */
  private async step(): Promise<void> {
    await this.dropAborted();
    const entries: { job: Job; tokens: number[] }[] = [];
    // Running sequences first: each needs room for one token.
    for (const job of [...this.running]) {
      if (!this.running.includes(job)) continue; // preempted to make room for an older one
      if (await this.grow(job.seq, 1, job)) entries.push({ job, tokens: [job.tokens[job.tokens.length - 1]!] });
    }
    // Then admissions, oldest first, while the batch, the prefill budget and the blocks allow
    // (a prompt longer than the budget goes alone in its step).
    let prefill = 0;
    while (this.waiting.length > 0 && this.running.length < this.maxBatch) {
      const job = this.waiting[0]!;
      if (prefill > 0 && prefill + job.context.length > this.prefillBudget) break;
      job.seq = this.gen.open();
      const room = await this.grow(job.seq, job.context.length, null, job);
      if (room !== true) {
        await this.cache.end(job.seq);
        if (room === 'defer') this.metrics.deferredAdmissions++;
        else {
          this.planner?.waited(job); // queued at the minimum: a later wait for pages on their way starts afresh
          if (!job.countedAtMinimum) (this.metrics.queuedAtMinimum++, (job.countedAtMinimum = true));
        }
        break;
      }
      this.planner?.waited(job);
      this.waiting.shift();
      if (job.preemptions === 0) job.queuedMs = performance.now() - job.submitted;
      this.running.push(job);
      this.metrics.admitted++;
      entries.push({ job, tokens: job.context });
      prefill += job.context.length;
    }
    this.metrics.maxStepPrefillTokens = Math.max(this.metrics.maxStepPrefillTokens, prefill);
    this.metrics.queued = this.waiting.length;
    this.metrics.maxRunning = Math.max(this.metrics.maxRunning, this.running.length);
    if (entries.length === 0) {
      // Nothing runs and the oldest request does not fit with training at its minimum (or over the cache's cap): it never
      // will. It alone fails. While training can still give, the require may have lowered a limit over pages training was
      // between holding (activations being refitted): wait a moment and ask again at the next step.
      if (this.running.length === 0 && this.waiting.length > 0) {
        const blocks = Math.ceil(this.waiting[0]!.context.length / this.cache.blockTokens);
        if ((!this.memory.atMinimum() || (this.planner?.onTheirWayBytes() ?? 0) > 0) && this.cache.shortfallBytes(blocks) > 0) {
          this.metrics.stalls++;
          await new Promise<void>((r) => setTimeout(r, STALL_MS));
          return;
        }
        const job = this.waiting.shift()!;
        this.metrics.rejected++;
        this.metrics.queued = this.waiting.length;
        job.reject(new BlocksExhaustedError(Math.ceil(job.context.length / this.cache.blockTokens), this.cache.stats().freeBlocks));
      }
      return;
    }
    const t0 = performance.now();
    const logits = await this.gen.step(entries.map((e) => ({ seq: e.job.seq, tokens: e.tokens })));
    this.metrics.steps++;
    const now = performance.now();
    this.lastStepMs = now - t0;
    for (const { job } of entries) {
      const tok = sampleToken(this.gen.lastRow(logits.get(job.seq)!), job.req, job.random);
      if (job.tokens.length === 0) job.ttftMs = now - job.submitted;
      else job.tbtMs.push(now - job.last);
      job.last = now;
      job.tokens.push(tok);
      job.req.onToken?.(tok, job.tokens.length - 1);
      const end = tok === job.req.endToken;
      if (end || job.tokens.length >= job.req.maxTokens) await this.retire(job, end ? 'end' : 'length');
    }
    this.metrics.kvPages.push([now - this.t0, this.cache.stats().pages]);
    if (!this.planner) await this.releaseSpare();
    else if (this.running.length > 0 || this.waiting.length > 0) this.planner.ahead();
    else this.planner.idle();
  }

  /** Blocks a job's sequence reaches: its prompt and every token it may generate. */
  private reachBlocks(job: Job): number {
    return Math.ceil((job.req.prompt.length + job.req.maxTokens) / this.cache.blockTokens);
  }

  /** Blocks the running sequences can still take, and the next queued ones' (those the batch has room for). */
  private comingBlocks(): number {
    let blocks = 0;
    for (const j of this.running) blocks += Math.max(0, this.reachBlocks(j) - this.cache.heldBlocks(j.seq));
    for (const j of this.waiting.slice(0, Math.max(0, this.maxBatch - this.running.length))) blocks += this.reachBlocks(j);
    return blocks;
  }

  /**
   * Makes room for `tokens` more in `seq`: from free blocks, then from
   * training (REQUIRE), then, for a running sequence, by preempting the
   * youngest other running sequence. False: no room this step.
   */
  private async grow(seq: number, tokens: number, job: Job | null, admitting?: Job): Promise<boolean | 'defer'> {
    let waited = false;
    for (;;) {
      try {
        this.cache.reserve(seq, tokens);
        return true;
      } catch (e) {
        if (!(e instanceof BlocksExhaustedError)) throw e;
      }
      const short = this.cache.shortfallBytes(this.cache.blocksNeeded(seq, tokens));
      if (short > 0 && this.planner && !waited) {
        // Step by step (the next check: after a step like the last, or after the stall's 10 ms when nothing runs) only
        // where no hold can be lifted: each step holds training back, so beside running sequences the pages would not come.
        if (admitting && !this.lifts && this.planner.mayDefer(admitting, short, this.running.length > 0 ? this.lastStepMs : STALL_MS)) return 'defer';
        waited = true;
        if (await this.planner.awaitBoundary(short, admitting ?? null)) continue;
      }
      if (short > 0 && !this.memory.atMinimum()) {
        // 0: the cache's own cap (a static partition) is short, and training cannot help.
        if (admitting) this.planner?.expired(admitting);
        const { freedBytes } = await this.memory.require(short + (this.planner ? 0 : this.watermark));
        this.counted(freedBytes, admitting ? 'admission' : 'block');
        // Retry only when the arena gained room (a limit dropped over pages training did not hold frees nothing).
        if (freedBytes > 0 && this.cache.shortfallBytes(this.cache.blocksNeeded(seq, tokens)) < short) continue;
      }
      if (!job) return false;
      // Preempt the youngest sequence not yet scheduled in this step (running is oldest first); the youngest preempts itself.
      const victim = this.running[this.running.length - 1]!;
      await this.preempt(victim);
      if (victim === job) return false;
    }
  }

  private counted(freedBytes: number, what: keyof BatcherMetrics['requiresFor']): void {
    this.metrics.requires++;
    this.metrics.requiresFor[what]++;
    this.metrics.requiredBytes += freedBytes;
    this.metrics.borrowedBytes += freedBytes;
  }

  /** Retires every request whose signal aborted, waiting or running, before the step spends work on it. */
  private async dropAborted(): Promise<void> {
    const now = performance.now();
    for (const job of this.waiting.filter((j) => j.preemptions === 0 && j.req.deadline !== undefined && j.req.deadline < now)) {
      this.waiting.splice(this.waiting.indexOf(job), 1);
      this.metrics.aborted++;
      job.reject(new QueueDeadlineError(now - job.submitted));
    }
    for (const job of this.waiting.filter((j) => j.req.signal?.aborted)) {
      this.waiting.splice(this.waiting.indexOf(job), 1);
      this.metrics.aborted++;
      job.resolve({ tokens: job.tokens, stop: 'abort', ttftMs: job.ttftMs, tbtMs: job.tbtMs, queuedMs: job.queuedMs, preemptions: job.preemptions });
    }
    for (const job of this.running.filter((j) => j.req.signal?.aborted)) {
      this.metrics.aborted++;
      await this.retire(job, 'abort');
    }
    this.metrics.queued = this.waiting.length;
  }

  private async preempt(job: Job): Promise<void> {
    this.running = this.running.filter((j) => j !== job);
    await this.cache.end(job.seq);
    job.context = [...job.req.prompt, ...job.tokens];
    job.preemptions++;
    this.metrics.preemptions++;
    this.waiting.unshift(job);
  }

  private async retire(job: Job, stop: GenerateResult['stop']): Promise<void> {
    this.running = this.running.filter((j) => j !== job);
    await this.cache.end(job.seq);
    if (stop !== 'abort') this.metrics.finished++;
    job.resolve({ tokens: job.tokens, stop, ttftMs: job.ttftMs, tbtMs: job.tbtMs, queuedMs: job.queuedMs, preemptions: job.preemptions });
  }

  /** A run's workspace of `bytes` did not fit: wait for pages on their way (the KV plan), else ask training for the difference plus W. */
  private async roomForWorkspace(bytes: number): Promise<boolean> {
    const arena = this.cache.arena;
    if (bytes - arena.freeBytes <= 0 || this.memory.atMinimum()) return false;
    const free0 = arena.freeBytes;
    if (this.planner && (await this.planner.awaitBoundary(bytes - arena.freeBytes, null)) && arena.freeBytes >= bytes) return true;
    const short = bytes - arena.freeBytes;
    if (short <= 0) return true;
    const { freedBytes } = await this.memory.require(short + this.watermark);
    this.counted(freedBytes, 'workspace');
    return arena.freeBytes > free0;
  }

  /**
   * Gives what was borrowed back to training once the burst is over (nothing
   * waits or runs; the cache then holds no page). All of it: a require's
   * freed bytes are the drop in training's page limit, so releasing them
   * restores the limit exactly.
   */
  private async releaseSpare(): Promise<void> {
    if (this.metrics.borrowedBytes <= 0 || this.waiting.length > 0 || this.running.length > 0) return;
    const spare = this.metrics.borrowedBytes;
    this.memory.release(spare);
    this.metrics.releases++;
    this.metrics.releasedBytes += spare;
    this.metrics.borrowedBytes -= spare;
  }
}
