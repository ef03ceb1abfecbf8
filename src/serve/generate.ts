// Token generation over HTTP, beside the KServe v2 routes:
//   POST /v2/models/{name}/generate         token ids in, token ids out (JSON)
//   POST /v2/models/{name}/generate_stream  the same, one server-sent event per token
// The body is text-free: {"input_ids": [int], "max_tokens": int, "end_token"?: int,
// "temperature"?: number, "top_k"?: int, "seed"?: int}. Requests join the model's
// continuous batch. Bad bodies are 400 and unknown models 404, before any
// event is sent; an engine failure mid-stream ends the stream with an `error` event.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BatchRequest, BatchResult } from '../llm/batcher.js';
import { GenerateInputError } from '../llm/errors.js';
import type { GenerativeEngine } from './engine.js';
import { DEFAULT_LIMITS } from './model-policy.js';
import { BadRequestError, ModelNotFoundError, OverloadError } from './errors.js';

/** The generative models the server batches, by name. */
export type GenerativeModels = ReadonlyMap<string, GenerativeEngine>;

interface Params {
  name: string;
}

const FIELDS = new Set(['input_ids', 'max_tokens', 'end_token', 'temperature', 'top_k', 'seed']);

/** The body as a batch request; every mistake is a BadRequestError naming the field. */
export function parseGenerateRequest(body: unknown): BatchRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('the body must be a JSON object with input_ids and max_tokens');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((k) => !FIELDS.has(k));
  if (unknown) throw new BadRequestError(`unknown field '${unknown}' (fields: ${[...FIELDS].join(', ')})`);
  const int = (k: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new BadRequestError(`'${k}' must be an integer, got ${JSON.stringify(v)}`);
    return v;
  };
  if (!Array.isArray(b.input_ids)) throw new BadRequestError(`'input_ids' must be an array of token ids`);
  const prompt = b.input_ids.map((v, i) => int(`input_ids[${i}]`, v));
  const req: BatchRequest = { prompt, maxTokens: int('max_tokens', b.max_tokens) };
  if (b.end_token !== undefined) req.endToken = int('end_token', b.end_token);
  if (b.top_k !== undefined) req.topK = int('top_k', b.top_k);
  if (b.seed !== undefined) req.seed = int('seed', b.seed);
  if (b.temperature !== undefined) {
    if (typeof b.temperature !== 'number') throw new BadRequestError(`'temperature' must be a number, got ${JSON.stringify(b.temperature)}`);
    req.temperature = b.temperature;
  }
  return req;
}

function encodeResult(model: string, r: BatchResult) {
  return { model_name: model, output_ids: r.tokens, stop: r.stop, ttft_ms: r.ttftMs, tbt_ms: r.tbtMs, queued_ms: r.queuedMs };
}

/** Generation requests waiting per model, at most, before new ones get 503 (the batch's own queue). */
export const MAX_GENERATION_QUEUE = 256;

/** Refuses a request when the model's batch already has `max` waiting. */
export function admitGeneration(name: string, engine: GenerativeEngine, max = MAX_GENERATION_QUEUE): void {
  if (engine.metrics.queued >= max) throw new OverloadError(503, `model '${name}' has ${engine.metrics.queued} generation requests waiting (its bound); retry later`, 1);
}

/** When a generation request still waiting to join the batch is dropped: x-deadline-ms from now, else the server's default. */
export function generationDeadline(req: FastifyRequest): number {
  const h = req.headers['x-deadline-ms'];
  const ms = h === undefined ? DEFAULT_LIMITS.defaultDeadlineMs : Number(h);
  if (!(ms > 0 && ms <= 3_600_000)) throw new BadRequestError(`x-deadline-ms must be a number of milliseconds in (0, 3600000], got '${String(h).slice(0, 20)}'`);
  return performance.now() + ms;
}

/** Aborts when the client's connection closes before the response is complete (the client went away). */
export function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}

export function registerGenerateRoutes(app: FastifyInstance, models: GenerativeModels): void {
  const batcherOf = (name: string): GenerativeEngine => {
    const b = models.get(name);
    if (!b) throw new ModelNotFoundError(name);
    admitGeneration(name, b);
    return b;
  };
  /** Submits, turning the generator's input checks into 400s (thrown before anything is queued). */
  const submit = (b: GenerativeEngine, req: BatchRequest): Promise<BatchResult> => {
    try {
      return b.submit(req);
    } catch (e) {
      if (e instanceof GenerateInputError) throw new BadRequestError(e.message);
      throw e;
    }
  };

  app.post<{ Params: Params }>('/v2/models/:name/generate', async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const b = batcherOf(req.params.name);
    const r = await submit(b, { ...parseGenerateRequest(req.body), signal: clientGone(reply), deadline: generationDeadline(req) });
    return reply.type('application/json; charset=utf-8').send(encodeResult(req.params.name, r));
  });

  app.post<{ Params: Params }>('/v2/models/:name/generate_stream', async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const b = batcherOf(req.params.name);
    const parsed = parseGenerateRequest(req.body);
    const raw = reply.raw;
    // Events wait until the head is written (a token cannot come sooner than a GPU step, but do not rely on it).
    let early: string[] | null = [];
    const event = (name: string, data: unknown) => {
      const text = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
      if (early) early.push(text);
      else raw.write(text);
    };
    const result = submit(b, { ...parsed, signal: clientGone(reply), deadline: generationDeadline(req), onToken: (token, index) => event('token', { index, token }) }); // throws a 4xx before the stream starts
    reply.hijack();
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const text of early) raw.write(text);
    early = null;
    try {
      event('done', encodeResult(req.params.name, await result));
    } catch (e) {
      event('error', { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
    raw.end();
  });
}
