// Prometheus metrics of one server: requests by route, model and status,
// request and engine latency, per-model load time and state, and the arena's
// pages by owner. Each server has its own registry, so servers in one
// process (tests) do not share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Arena } from '../core/arena.js';
import type { ServableStore } from './engine.js';

/** Seconds: 0.5 ms to 30 s, dense where a small model on a GPU answers. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];
/** Seconds: 50 µs to 10 s, for the stages of one request (a tail is traced to its stage). */
export const STAGE_BUCKETS = [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1, 2, 10];

/**
 * The stages of one inference, in order: `queue` (arrival at the model's
 * queue to its batch's start), `slot` (waiting for an engine call slot),
 * `engine` (ServableStore.run); with `--train` the engine's own `admit`
 * (model made resident), `window` (the priority window) and `run`.
 */
export type InferStage = 'queue' | 'slot' | 'engine' | 'admit' | 'window' | 'run';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'model' | 'status'>;
  readonly requestSeconds: Histogram<'route' | 'model'>;
  readonly inferSeconds: Histogram<'model'>;
  readonly stageSeconds: Histogram<'model' | 'stage'>;

  constructor(store: ServableStore, arena: Arena, queue: { readonly queued: number }) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'handover_requests_total',
      help: 'HTTP requests by route pattern, model and status code',
      labelNames: ['route', 'model', 'status'],
      registers,
    });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) => new Histogram<L>({ name, help, labelNames, buckets, registers });
    this.requestSeconds = histogram('handover_request_duration_seconds', 'HTTP request latency, receipt to response', ['route', 'model'], LATENCY_BUCKETS);
    this.inferSeconds = histogram('handover_infer_duration_seconds', 'Engine time of one inference (ModelStore.run), excluding queueing and JSON', ['model'], LATENCY_BUCKETS);
    this.stageSeconds = histogram('handover_infer_stage_seconds', 'Time one inference spent in each stage: queue, slot, engine (and with --train: admit, window, run)', ['model', 'stage'], STAGE_BUCKETS);
    new Gauge({
      name: 'handover_infer_queued',
      help: 'Inference requests waiting for an engine slot',
      registers,
      collect() {
        this.set(queue.queued);
      },
    });
    new Gauge({
      name: 'handover_model_load_seconds',
      help: 'Cold-start time of the last load of each model (weights into inference pages)',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const m of store.list()) if (m.loadMs > 0) this.set({ model: m.name }, m.loadMs / 1000);
      },
    });
    new Gauge({
      name: 'handover_model_bytes',
      help: 'Bytes of arena memory each model holds',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const m of store.list()) this.set({ model: m.name }, m.bytes);
      },
    });
    new Gauge({
      name: 'handover_model_state',
      help: '1 for the state each model is in (cold, loading, warm)',
      labelNames: ['model', 'state'],
      registers,
      collect() {
        this.reset();
        for (const m of store.list()) for (const s of ['cold', 'loading', 'warm']) this.set({ model: m.name, state: s }, m.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'handover_arena_pages',
      help: 'Arena pages by owner (train, infer, free); owned pages include freed ones not yet reclaimed',
      labelNames: ['owner'],
      registers,
      collect() {
        const s = arena.stats();
        this.set({ owner: 'train' }, s.train);
        this.set({ owner: 'infer' }, s.infer);
        this.set({ owner: 'free' }, s.free);
      },
    });
    new Gauge({
      name: 'handover_arena_pending_pages',
      help: 'Pages freed by an owner and not yet reclaimed (the GPU may still use them)',
      labelNames: ['owner'],
      registers,
      collect() {
        const s = arena.stats();
        this.set({ owner: 'train' }, s.trainPending);
        this.set({ owner: 'infer' }, s.inferPending);
      },
    });
    new Gauge({
      name: 'handover_arena_train_limit_pages',
      help: 'Most pages training may hold; inference lowers it by require()',
      registers,
      collect() {
        this.set(arena.stats().trainLimit);
      },
    });
    new Gauge({
      name: 'handover_arena_page_bytes',
      help: 'Size of one arena page',
      registers,
      collect() {
        this.set(arena.pageBytes);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'handover_' });
  }

  observeStage(model: string, stage: InferStage | string, ms: number): void {
    this.stageSeconds.observe({ model, stage }, ms / 1000);
  }

  observeRequest(route: string, model: string, status: number, seconds: number): void {
    this.requests.inc({ route, model, status: String(status) });
    this.requestSeconds.observe({ route, model }, seconds);
  }
}
