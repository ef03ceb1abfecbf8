// One model's request queue: admission (bounded per model and per client),
// deadlines, and dynamic batching. Requests whose inputs agree beyond the
// batch dimension are concatenated along it (rows), run as one engine call,
// and each caller gets back its own rows. A request whose deadline passed or
// whose client went away is dropped before it runs.
import type { IoSpec, ModelInfo, TensorData } from './engine.js';
import { DeadlineError, EngineOutputError, OverloadError, RequestError } from './errors.js';
import type { ModelPolicy } from './model-policy.js';
import type { ModelStats } from './stats.js';

/** The client closed its connection before the request ran (nobody reads the answer; 499 as nginx logs it). */
export class ClientGoneError extends RequestError {
  override name = 'ClientGoneError';
  constructor() {
    super(499, 'the client went away before the request ran; it was dropped');
  }
}

export type Outputs = Record<string, TensorData>;

/** Runs one engine call of `requests` requests (their rows concatenated). */
export type BatchRunner = (inputs: Record<string, TensorData>, requests: number) => Promise<Outputs>;

export interface Admit {
  /** Who is asking (x-client-id, or the remote address): bounds one client's share of the queue. */
  client: string;
  /** Absolute deadline, performance.now() ms. */
  deadline: number;
  signal?: AbortSignal;
}

interface Pending extends Admit {
  /** Fires at the deadline (drops the request if it still waits). */
  timer: NodeJS.Timeout;
  inputs: Record<string, TensorData>;
  rows: number;
  key: string;
  arrived: number;
  resolve: (o: Outputs) => void;
  reject: (e: unknown) => void;
}

export class ModelQueue {
  /** Every input and output has the same symbolic first dimension: requests can share a run. */
  readonly batchable: boolean;
  private readonly waiting: Pending[] = [];
  private readonly perClient = new Map<string, number>();
  private active = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Mean engine ms per request, for Retry-After. */
  private meanMs = 10;

  constructor(
    readonly info: ModelInfo,
    readonly policy: ModelPolicy,
    private readonly runner: BatchRunner,
    readonly stats: ModelStats,
    /** Told each request's time in the queue (arrival to its batch's start), ms. */
    private readonly onQueued?: (ms: number) => void,
  ) {
    const first = (s: IoSpec) => s.dims[0];
    const sym = info.inputs.length > 0 ? first(info.inputs[0]!) : undefined;
    this.batchable = typeof sym === 'string' && [...info.inputs, ...info.outputs].every((s) => first(s) === sym);
  }

  get queued(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.active;
  }

  /** Rows of a request: its batch dimension when the model batches, else 1. */
  rowsOf(inputs: Record<string, TensorData>): number {
    return this.batchable ? Object.values(inputs)[0]!.dims[0]! : 1;
  }

  submit(inputs: Record<string, TensorData>, admit: Admit): Promise<Outputs> {
    const { maxQueue, maxQueuePerClient } = this.policy;
    const retry = Math.max(1, Math.ceil(((this.waiting.length + 1) * this.meanMs) / 1000));
    if (this.waiting.length >= maxQueue) {
      this.stats.rejected++;
      throw new OverloadError(503, `model '${this.info.name}' has ${this.waiting.length} requests waiting (its bound); retry later`, retry);
    }
    const mine = this.perClient.get(admit.client) ?? 0;
    if (mine >= maxQueuePerClient) {
      this.stats.rejected++;
      throw new OverloadError(429, `this client has ${mine} requests waiting for model '${this.info.name}' (its share of the queue); retry later`, retry);
    }
    const rows = this.rowsOf(inputs);
    const key = Object.entries(inputs).map(([n, t]) => `${n}:${t.type}:${t.dims.slice(this.batchable ? 1 : 0).join('x')}`).join('|');
    return new Promise<Outputs>((resolve, reject) => {
      const now = performance.now();
      // A timer can fire a fraction of a millisecond before performance.now() reaches the deadline (the
      // event loop's clock is coarser): then it is armed again, else the request would wait past it forever.
      const atDeadline = (): void => {
        const left = admit.deadline - performance.now();
        if (left > 0) return void (pending.timer = unrefd(setTimeout(atDeadline, Math.ceil(left) + 1)));
        this.pump();
      };
      const pending: Pending = { ...admit, timer: unrefd(setTimeout(atDeadline, Math.max(0, admit.deadline - now) + 1)), inputs, rows, key, arrived: now, resolve, reject };
      this.waiting.push(pending);
      this.perClient.set(admit.client, mine + 1);
      admit.signal?.addEventListener('abort', () => this.pump(), { once: true });
      this.pump();
    });
  }

  /** Starts runs while an instance is free: drops the dead, then takes the oldest request and those that can join it. */
  private pump(): void {
    this.dropDead();
    while (this.active < this.policy.instanceCount && this.waiting.length > 0) {
      this.dropDead();
      if (this.waiting.length === 0) return;
      const head = this.waiting[0]!;
      const batch = this.gather(head);
      const rows = batch.reduce((a, p) => a + p.rows, 0);
      const full = rows >= this.policy.maxBatchSize || this.policy.preferredBatchSizes.includes(rows) || !this.batchable;
      const waitMs = head.arrived + this.policy.maxQueueDelayMs - performance.now();
      if (!full && waitMs > 0) {
        this.timer ??= setTimeout(() => ((this.timer = null), this.pump()), waitMs);
        this.timer.unref?.();
        return;
      }
      if (this.timer) (clearTimeout(this.timer), (this.timer = null)); // set for this head: the next head sets its own
      for (const p of batch) this.leave(p);
      void this.run(batch, rows);
    }
  }

  /** The head and the oldest requests with the same non-batch shapes, up to maxBatchSize rows. */
  private gather(head: Pending): Pending[] {
    const batch = [head];
    if (!this.batchable) return batch;
    let rows = head.rows;
    for (const p of this.waiting) {
      if (p === head || p.key !== head.key || rows + p.rows > this.policy.maxBatchSize) continue;
      batch.push(p);
      rows += p.rows;
    }
    return batch;
  }

  private dropDead(): void {
    const now = performance.now();
    for (const p of [...this.waiting]) {
      const gone = p.signal?.aborted;
      if (!gone && p.deadline > now) continue;
      this.leave(p);
      this.stats.rejected++;
      this.stats.finished(false, now - p.arrived, p.rows);
      p.reject(gone ? new ClientGoneError() : new DeadlineError(Math.round(p.deadline - p.arrived), now - p.arrived));
    }
  }

  private leave(p: Pending): void {
    this.waiting.splice(this.waiting.indexOf(p), 1);
    clearTimeout(p.timer);
    const n = (this.perClient.get(p.client) ?? 1) - 1;
    if (n > 0) this.perClient.set(p.client, n);
    else this.perClient.delete(p.client);
  }

  private async run(batch: Pending[], rows: number): Promise<void> {
    this.active++;
    const t0 = performance.now();
    for (const p of batch) (this.stats.queued(t0 - p.arrived), this.onQueued?.(t0 - p.arrived));
    try {
      const inputs = batch.length === 1 ? batch[0]!.inputs : concatRows(batch.map((p) => p.inputs));
      const out = await this.runner(inputs, batch.length);
      const ms = performance.now() - t0;
      this.stats.executed(rows, ms, batch.length);
      this.meanMs = 0.8 * this.meanMs + 0.2 * (ms / batch.length);
      const parts = batch.length === 1 ? [out] : splitRows(this.info.name, out, batch.map((p) => p.rows));
      const now = performance.now();
      batch.forEach((p, i) => (this.stats.finished(true, now - p.arrived, p.rows), p.resolve(parts[i]!)));
    } catch (e) {
      const now = performance.now();
      for (const p of batch) (this.stats.finished(false, now - p.arrived, p.rows), p.reject(e));
    } finally {
      this.active--;
      this.pump();
    }
  }
}

type Typed = TensorData['data'];

function allocLike(d: Typed, n: number): Typed {
  return new (d.constructor as new (n: number) => Typed)(n);
}

/** The requests' inputs concatenated along dimension 0, in order. */
export function concatRows(parts: Record<string, TensorData>[]): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const name of Object.keys(parts[0]!)) {
    const ts = parts.map((p) => p[name]!);
    const data = allocLike(ts[0]!.data, ts.reduce((a, t) => a + t.data.length, 0));
    let offset = 0;
    for (const t of ts) {
      (data as Float32Array).set(t.data as Float32Array, offset);
      offset += t.data.length;
    }
    out[name] = { type: ts[0]!.type, dims: [ts.reduce((a, t) => a + t.dims[0]!, 0), ...ts[0]!.dims.slice(1)], data };
  }
  return out;
}

/** A batch's outputs split back along dimension 0, `rows[i]` rows for request i. */
export function splitRows(model: string, out: Outputs, rows: number[]): Outputs[] {
  const total = rows.reduce((a, b) => a + b, 0);
  const parts: Outputs[] = rows.map(() => ({}));
  for (const [name, t] of Object.entries(out)) {
    if (t.dims[0] !== total) throw new EngineOutputError(model, name, `a batch of ${total} rows gave dimension 0 = ${t.dims[0]}`);
    const per = t.data.length / total;
    let row = 0;
    rows.forEach((r, i) => {
      parts[i]![name] = { type: t.type, dims: [r, ...t.dims.slice(1)], data: t.data.slice(row * per, (row + r) * per) };
      row += r;
    });
  }
  return parts;
}

/** A timer that does not keep the process alive. */
function unrefd(t: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  t.unref?.();
  return t;
}
