// The KServe v2 / Triton HTTP routes: health, model metadata and readiness,
// inference, and /metrics. Handlers throw RequestErrors; server.ts turns
// every error into a JSON {error} reply.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModelInfo, ServableStore } from './engine.js';
import { BadRequestError, ModelNotFoundError } from './errors.js';
import { clientGone } from './generate.js';
import type { InferService } from './infer-service.js';
import { Turns } from '../core/turns.js';
import type { ServerMetrics } from './metrics.js';
import { encodeInferResponse, parseInferRequest, tensorMetadata, type InferCall, type InferResponse } from './tensors.js';

/** The v2 protocol's health answer: 200 is true, a 4xx (Triton uses 400) is false. */
const NOT_READY = 400;

/** This server serves one version of each model. */
export const MODEL_VERSION = '1';

interface ModelParams {
  name: string;
  version?: string;
}
type ModelRequest = FastifyRequest<{ Params: ModelParams }>;

export interface RouteContext {
  store: ServableStore;
  metrics: ServerMetrics;
  /** Bounds engine calls in flight; the rest wait in order. */
  runs: RunQueue;
  /** Admission, deadlines, dynamic batching and statistics: every inference goes through it. */
  service: InferService;
}

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store, metrics } = ctx;
  const lookup = (p: ModelParams): ModelInfo => {
    const info = store.get(p.name);
    if (!info) throw new ModelNotFoundError(p.name);
    if (p.version !== undefined && p.version !== MODEL_VERSION) throw new ModelNotFoundError(p.name, p.version);
    return info;
  };

  app.get('/v2', async () => serverMetadata());
  app.get('/v2/health/live', async () => ({ live: true }));

  // Ready means "can answer a request": a registered model is, warm or loaded on its first request.
  app.get('/v2/health/ready', async () => ({ ready: true }));

  const metadata = async (req: ModelRequest) => modelMetadata(lookup(req.params));
  app.get<{ Params: ModelParams }>('/v2/models/:name', metadata);
  app.get<{ Params: ModelParams }>('/v2/models/:name/versions/:version', metadata);

  const ready = async (req: ModelRequest, reply: FastifyReply) => {
    const info = lookup(req.params);
    const isReady = !ctx.service.unavailable.has(info.name); // cold models load on their first request; unloaded ones do not
    return reply.code(isReady ? 200 : NOT_READY).send({ name: info.name, ready: isReady });
  };
  app.get<{ Params: ModelParams }>('/v2/models/:name/ready', ready);
  app.get<{ Params: ModelParams }>('/v2/models/:name/versions/:version/ready', ready);

  const infer = async (req: ModelRequest, reply: FastifyReply) => {
    const info = lookup(req.params);
    ctx.service.model(info.name); // an unloaded model is a 400 before its body is read
    const call = parseInferRequest(req.body, info);
    const result = await ctx.service.infer(info.name, call, { client: clientOf(req), deadlineMs: deadlineOf(req, call), signal: clientGone(reply) });
    return sendInferResponse(reply, encodeInferResponse(info, call, result));
  };
  app.post<{ Params: ModelParams }>('/v2/models/:name/infer', infer);
  app.post<{ Params: ModelParams }>('/v2/models/:name/versions/:version/infer', infer);

  // The statistics extension.
  const stats = (names: string[]) => ({ model_stats: names.map((n) => ctx.service.statsOf(n).toJSON(MODEL_VERSION)) });
  app.get('/v2/models/stats', async () => stats(store.list().map((m) => m.name)));
  const modelStats = async (req: ModelRequest) => stats([lookup(req.params).name]);
  app.get<{ Params: ModelParams }>('/v2/models/:name/stats', modelStats);
  app.get<{ Params: ModelParams }>('/v2/models/:name/versions/:version/stats', modelStats);

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/** The v2 server metadata (HTTP GET /v2, gRPC ServerMetadata). */
export function serverMetadata() {
  return { name: 'handover', version: packageVersion(), extensions: ['binary_tensor_data', 'statistics', 'model_repository'] };
}

/** The v2 model metadata (HTTP GET /v2/models/{name}, gRPC ModelMetadata). */
export function modelMetadata(info: ModelInfo) {
  return { name: info.name, versions: [MODEL_VERSION], platform: 'onnx', inputs: info.inputs.map(tensorMetadata), outputs: info.outputs.map(tensorMetadata) };
}

/** Who is asking, for per-client queue shares: the x-client-id header (short), else the remote address. */
export function clientOf(req: FastifyRequest): string {
  const id = req.headers['x-client-id'];
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? `id:${id}` : `ip:${req.ip}`;
}

/** The request's deadline in ms: the x-deadline-ms header, or Triton's "timeout" parameter (microseconds). */
function deadlineOf(req: FastifyRequest, call: InferCall): number | undefined {
  const h = req.headers['x-deadline-ms'];
  if (h === undefined) return call.timeoutUs === undefined ? undefined : call.timeoutUs / 1000;
  const ms = Number(h);
  if (typeof h !== 'string' || !(ms > 0 && ms <= 3_600_000)) throw new BadRequestError(`x-deadline-ms must be a number of milliseconds in (0, 3600000], got '${String(h).slice(0, 20)}'`);
  return ms;
}

/** JSON alone, or (binary outputs asked for) the JSON header then the raw bytes, with Inference-Header-Content-Length. */
export function sendInferResponse(reply: FastifyReply, r: InferResponse): FastifyReply {
  if (r.binary.length === 0) return reply.type('application/json; charset=utf-8').send(r.json);
  const header = Buffer.from(r.json, 'utf8');
  return reply.type('application/octet-stream').header('inference-header-content-length', String(header.length)).send(Buffer.concat([header, ...r.binary]));
}

/** The version in the package.json above this file (src/serve or dist/src/serve). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'handover' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look further up
    }
  }
  return 'unknown';
}

/** A FIFO bound on concurrent engine calls. */
export class RunQueue extends Turns {}
