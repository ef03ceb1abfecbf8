// createServer: a fastify instance that serves a ModelStore over the KServe
// v2 / Triton HTTP protocol. Every failure becomes a JSON {error} reply:
// 4xx for what the client sent, 500 for what the engine did.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Arena } from '../core/arena.js';
import { InputError, UnknownModelError } from '../infer/store.js';
import type { ServableStore } from './engine.js';
import { isOutOfMemory, OverloadError, RequestError } from './errors.js';
import { InferService } from './infer-service.js';
import { ModelRepository, registerRepositoryRoutes, type RepositorySource } from './repository-routes.js';
import { DEFAULT_POLICY, type ModelPolicy, type ServeLimits } from './model-policy.js';
import { ServerMetrics } from './metrics.js';
import { registerGenerateRoutes, type GenerativeModels } from './generate.js';
import { RunQueue, registerRoutes } from './routes.js';
import { boundMessage, guardServerOptions, installGuard, type GuardOptions } from './guard.js';
import { registerOpenAIRoutes } from './openai.js';

export interface ServerOptions {
  store: ServableStore;
  arena: Arena;
  /** Largest request body in bytes; larger ones get 413 (default 32 MiB). */
  bodyLimit?: number;
  /**
   * Engine calls in flight at once; the rest queue here in arrival order
   * (default 1: the ModelStore runs one at a time anyway, and queueing here
   * keeps the engine-time histogram and the queue gauge honest).
   */
  maxConcurrentRuns?: number;
  /** Generative models (continuous batches) served at /v2/models/{name}/generate and generate_stream. */
  generative?: GenerativeModels;
  /** Host check, API key, CORS, JSON depth, timeouts and connection cap (guard.ts); defaults: loopback, no key. */
  guard?: GuardOptions;
  /** Where 5xx errors are reported (one line each); default: nowhere. */
  log?: (line: string) => void;
  /** Dynamic batching and queue bounds of every model without its own (default DEFAULT_POLICY). */
  policy?: ModelPolicy;
  /** Per-model policies (a model repository's configs). */
  policies?: ReadonlyMap<string, ModelPolicy>;
  /** Deadline, rows and response caps (default DEFAULT_LIMITS). */
  limits?: Partial<ServeLimits>;
  /** The models the repository extension lists, loads and unloads (default: the store's, loads only). */
  repository?: RepositorySource;
}

export const DEFAULT_BODY_LIMIT = 32 << 20;

export function createServer(opts: ServerOptions): FastifyInstance {
  const app = Fastify({ ...guardServerOptions(opts.guard ?? {}), bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT });
  const runs = new RunQueue(opts.maxConcurrentRuns ?? 1);
  let service: InferService | null = null;
  const metrics = new ServerMetrics(opts.store, opts.arena, { get queued() { return runs.queued + (service?.queued ?? 0); } });
  service = new InferService(opts.store, runs, metrics, opts.policy ?? { ...DEFAULT_POLICY, instanceCount: runs.limit }, opts.limits);
  for (const [name, p] of opts.policies ?? []) service.policies.set(name, p);

  installGuard(app, opts.guard ?? {});

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const status = statusOf(err);
    const message = boundMessage(status >= 500 && !(err instanceof RequestError) ? `${err.name}: ${err.message}` : err.message);
    if (status >= 500) opts.log?.(`${req.method} ${req.url}: ${status} ${message}`);
    if (err instanceof OverloadError) void reply.header('retry-after', String(err.retryAfterS));
    else if (status === 503) void reply.header('retry-after', '1');
    return reply.code(status).type('application/json; charset=utf-8').send({ error: message });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]} (see /v2/models/{name}, /v2/health/ready, /metrics)` }),
  );

  app.addHook('onResponse', async (req, reply) => {
    const name = (req.params as { name?: unknown } | undefined)?.name;
    const model = typeof name !== 'string' ? '' : opts.store.get(name) ? name : '(unknown)';
    metrics.observeRequest(req.routeOptions.url ?? '(no route)', model, reply.statusCode, reply.elapsedTime / 1000);
  });

  registerRoutes(app, { store: opts.store, metrics, runs, service });
  const source = opts.repository ?? { entries: opts.store.list().map((m) => ({ name: m.name, version: '1', file: m.file })), register: () => {} };
  const repository = new ModelRepository(source, opts.store, service);
  registerRepositoryRoutes(app, repository);
  PARTS.set(app, { store: opts.store, service, repository });
  if (opts.generative) registerGenerateRoutes(app, opts.generative);
  registerOpenAIRoutes(app, { models: opts.generative ?? new Map(), log: opts.log });
  return app;
}

/** What other faces of the server (gRPC) share with the HTTP routes. */
export interface ServerParts {
  store: ServableStore;
  service: InferService;
  repository: ModelRepository;
}

const PARTS = new WeakMap<FastifyInstance, ServerParts>();

export function serverParts(app: FastifyInstance): ServerParts {
  const p = PARTS.get(app);
  if (!p) throw new Error('not a server made by createServer');
  return p;
}

/** The client's fault (4xx, from our checks or fastify's body parsing) or the server's (500). */
export function statusOf(err: FastifyError | Error): number {
  if (err instanceof RequestError) return err.status;
  if (err instanceof InputError) return 400; // the engine's own input checks (e.g. int64 beyond int32 range)
  if (err instanceof UnknownModelError) return 404;
  if (isOutOfMemory(err)) return 503; // the device or the KV cache is full now, not broken: retry
  const code = (err as FastifyError).statusCode;
  if (typeof code === 'number' && code >= 400 && code < 500) return code;
  return 500;
}
