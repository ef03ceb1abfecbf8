// The one inference path that the HTTP and gRPC handlers share: checks the
// request against the server's caps, admits it to its model's queue
// (bounded, with a deadline), batches it with others, runs it through the
// ServableStore within the server-wide bound on engine calls, and keeps the
// statistics extension's counts.
import { ELEMENT_BYTES } from './binary.js';
import type { ModelInfo, ServableStore, TensorData } from './engine.js';
import { BadRequestError, ModelNotFoundError } from './errors.js';
import { ModelQueue } from './dynamic-batch.js';
import type { ServerMetrics } from './metrics.js';
import { DEFAULT_LIMITS, DEFAULT_POLICY, type ModelPolicy, type ServeLimits } from './model-policy.js';
import type { RunQueue } from './routes.js';
import { ModelStats } from './stats.js';
import type { InferCall } from './tensors.js';

export interface InferAdmit {
  client: string;
  /** The request's own deadline, ms from now (default: the server's). */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export class InferService {
  readonly limits: ServeLimits;
  private readonly queues = new Map<string, ModelQueue>();
  private readonly stats = new Map<string, ModelStats>();
  /** Policies of models that have their own (a repository's config); others get the default. */
  readonly policies = new Map<string, ModelPolicy>();
  /** Models unloaded through the repository extension: they answer 400 until loaded again. */
  readonly unavailable = new Set<string>();

  constructor(
    readonly store: ServableStore,
    private readonly runs: RunQueue,
    private readonly metrics: ServerMetrics | null,
    readonly defaultPolicy: ModelPolicy = DEFAULT_POLICY,
    limits: Partial<ServeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  model(name: string): ModelInfo {
    const info = this.store.get(name);
    if (!info) throw new ModelNotFoundError(name);
    if (this.unavailable.has(name)) throw new BadRequestError(`model '${name}' is unloaded (POST /v2/repository/models/${name}/load to serve it again)`);
    return info;
  }

  statsOf(name: string): ModelStats {
    let s = this.stats.get(name);
    if (!s) this.stats.set(name, (s = new ModelStats(name)));
    return s;
  }

  /** Requests waiting, over every model. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.queued;
    return n;
  }

  queueOf(name: string): ModelQueue {
    let q = this.queues.get(name);
    if (!q) {
      const info = this.model(name);
      q = new ModelQueue(info, this.policies.get(name) ?? this.defaultPolicy, (inputs, requests) => this.runEngine(name, inputs, requests), this.statsOf(name), (ms) => this.metrics?.observeStage(name, 'queue', ms));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Forgets a model's queue (unloaded, or its policy changed); its statistics stay. */
  reset(name: string): void {
    this.queues.delete(name);
  }

  async infer(name: string, call: InferCall, admit: InferAdmit): Promise<Record<string, TensorData>> {
    const info = this.model(name);
    const q = this.queueOf(name);
    const rows = q.rowsOf(call.inputs);
    if (rows > this.limits.maxRequestRows)
      throw new BadRequestError(`a request may ask for at most ${this.limits.maxRequestRows} rows (the batch dimension); this one has ${rows}`);
    const bytes = responseBytes(info, call);
    if (bytes > this.limits.maxResponseBytes)
      throw new BadRequestError(`the response would carry ${bytes} bytes of tensor data, over the server's cap of ${this.limits.maxResponseBytes}`);
    const deadlineMs = admit.deadlineMs ?? this.limits.defaultDeadlineMs;
    const out = await q.submit(call.inputs, { client: admit.client, deadline: performance.now() + deadlineMs, signal: admit.signal });
    let actual = 0;
    for (const n of call.outputs) actual += (out[n]?.data.length ?? 0) * ELEMENT_BYTES[out[n]?.type ?? 'float32'];
    if (actual > this.limits.maxResponseBytes)
      throw new BadRequestError(`the response carries ${actual} bytes of tensor data, over the server's cap of ${this.limits.maxResponseBytes}`);
    return out;
  }

  private runEngine(name: string, inputs: Record<string, TensorData>, requests: number): Promise<Record<string, TensorData>> {
    const queued = performance.now();
    const m = this.metrics;
    return this.runs.run(async () => {
      const t0 = performance.now();
      m?.observeStage(name, 'slot', t0 - queued);
      const out = await this.store.run(name, inputs, { requests, onStage: m ? (stage, ms) => m.observeStage(name, stage, ms) : undefined });
      const ms = performance.now() - t0;
      m?.inferSeconds.observe({ model: name }, ms / 1000);
      m?.observeStage(name, 'engine', ms);
      return out;
    });
  }
}

/** Output bytes the request will get, where the model's output dims follow from its inputs' (else 0: checked after the run). */
function responseBytes(info: ModelInfo, call: InferCall): number {
  const symbols = new Map<string, number>();
  for (const spec of info.inputs) spec.dims.forEach((d, i) => typeof d === 'string' && symbols.set(d, call.inputs[spec.name]!.dims[i]!));
  let total = 0;
  for (const name of call.outputs) {
    const spec = info.outputs.find((s) => s.name === name)!;
    let n = ELEMENT_BYTES[spec.type];
    for (const d of spec.dims) {
      const v = typeof d === 'number' && d > 0 ? d : typeof d === 'string' ? symbols.get(d) : undefined;
      if (v === undefined) return 0;
      n *= v;
    }
    total += n;
  }
  return total;
}
