// The OpenAI-compatible API over the generative models (vLLM's surface):
//   GET  /v1/models
//   POST /v1/completions        prompt text (or token ids) in, text out
//   POST /v1/chat/completions   messages in (a plain chat template), text out
// `stream: true` answers with server-sent events in OpenAI's chunk format,
// ending with `data: [DONE]`. Every generation is one request to the model's
// continuous batch (GenerativeEngine.submit); it stops decoding when its
// client goes or a stop string appears. Errors have OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GenerateInputError, QueueDeadlineError } from '../llm/errors.js';
import type { GenerativeEngine } from './engine.js';
import { admitGeneration, clientGone, generationDeadline } from './generate.js';
import { isOutOfMemory, ModelNotFoundError, OverloadError, ParamError, RequestError } from './errors.js';
import { parseChat, parseCompletion, type GenerationCall } from './openai-parse.js';
import { ByteTokenizer, type TextTokenizer } from './tokenizer.js';

export interface OpenAIOptions {
  models: ReadonlyMap<string, GenerativeEngine>;
  /** The tokenizer of each model (default: a byte tokenizer over its vocabulary). */
  tokenizers?: ReadonlyMap<string, TextTokenizer>;
  /** Where 5xx errors are reported. */
  log?: (line: string) => void;
}

type Kind = 'completion' | 'chat';

/** Registers the /v1 routes (their own error handler gives OpenAI's error shape). */
export function registerOpenAIRoutes(app: FastifyInstance, o: OpenAIOptions): void {
  const created = Math.floor(Date.now() / 1000);
  const tokenizers = new Map<string, TextTokenizer>();
  const lookup = (model: string) => {
    const engine = o.models.get(model);
    if (!engine) throw new ModelNotFoundError(model);
    let tokenizer = o.tokenizers?.get(model) ?? tokenizers.get(model);
    if (!tokenizer) tokenizers.set(model, (tokenizer = new ByteTokenizer(engine.gen.vocab)));
    return { engine, tokenizer, maxPositions: engine.gen.maxPositions };
  };

  void app.register(async (v1) => {
    v1.setErrorHandler((err: FastifyError | Error, req, reply) => {
      const e = openAIError(err);
      if (e.status >= 500) o.log?.(`${req.method} ${req.url}: ${e.status} ${e.body.error.message}`);
      if (err instanceof OverloadError) void reply.header('retry-after', String(err.retryAfterS));
      else if (e.status === 503) void reply.header('retry-after', '1');
      return reply.code(e.status).type('application/json; charset=utf-8').send(e.body);
    });
    v1.setNotFoundHandler((req, reply) =>
      reply.code(404).send(errorBody(`no route ${req.method} ${req.url.split('?')[0]} (see /v1/models, /v1/completions, /v1/chat/completions)`, 'invalid_request_error', null, 'not_found')),
    );
    v1.get('/models', async () => ({
      object: 'list',
      data: [...o.models.keys()].map((id) => ({ id, object: 'model', created, owned_by: 'handover' })),
    }));
    v1.get<{ Params: { model: string } }>('/models/:model', async (req) => {
      lookup(req.params.model);
      return { id: req.params.model, object: 'model', created, owned_by: 'handover' };
    });
    v1.post('/completions', (req, reply) => generate(req, reply, 'completion'));
    v1.post('/chat/completions', (req, reply) => generate(req, reply, 'chat'));
  }, { prefix: '/v1' });

  async function generate(req: FastifyRequest, reply: FastifyReply, kind: Kind): Promise<unknown> {
    const call = kind === 'chat' ? parseChat(req.body, lookup) : parseCompletion(req.body, lookup);
    const { engine, tokenizer } = lookup(call.model);
    admitGeneration(call.model, engine);
    const out = new Output(call, tokenizer, kind);
    const signal = AbortSignal.any([clientGone(reply), out.stopped.signal]);
    const deadline = generationDeadline(req);
    let result;
    try {
      result = engine.submit({
        prompt: call.prompt, maxTokens: call.maxTokens, temperature: call.temperature, topP: call.topP, seed: call.seed, signal, deadline,
        onToken: (t) => out.token(t),
      });
    } catch (e) {
      if (e instanceof GenerateInputError) throw new ParamError(e.field, e.reason);
      throw e;
    }
    if (!call.stream) {
      const r = await result;
      return reply.type('application/json; charset=utf-8').send(out.whole(r.stop, r.tokens.length));
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (data: unknown) => raw.write(`data: ${JSON.stringify(data)}\n\n`);
    out.onChunk = send;
    out.begin();
    try {
      const r = await result;
      out.end(r.stop, r.tokens.length);
    } catch (e) {
      const { body } = openAIError(e as Error);
      send(body);
    }
    raw.end('data: [DONE]\n\n');
    return reply;
  }
}

/** One response being built: text decoded as tokens come, held back while it could be the start of a stop string. */
class Output {
  readonly id: string;
  readonly created = Math.floor(Date.now() / 1000);
  readonly stopped = new AbortController();
  onChunk: ((chunk: unknown) => void) | null = null;
  private readonly decode: (ids: number[], final?: boolean) => string;
  private text = '';
  private emitted = 0;
  private readonly holdBack: number;

  constructor(readonly call: GenerationCall, tokenizer: TextTokenizer, readonly kind: Kind) {
    this.id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
    this.decode = tokenizer.streamDecoder();
    this.holdBack = Math.max(0, ...call.stop.map((s) => s.length - 1));
  }

  token(t: number): void {
    if (this.stopped.signal.aborted) return;
    this.text += this.decode([t]);
    const at = this.stopAt();
    if (at >= 0) {
      this.text = this.text.slice(0, at);
      this.stopped.abort();
    }
    this.flush(at >= 0 ? this.text.length : this.text.length - this.holdBack);
  }

  begin(): void {
    if (this.kind === 'chat') this.onChunk?.(this.chunk({ role: 'assistant', content: '' }, null));
  }

  end(stop: 'length' | 'end' | 'abort', completionTokens: number): void {
    if (!this.stopped.signal.aborted) this.text += this.decode([], true);
    this.flush(this.text.length);
    this.onChunk?.(this.chunk(this.kind === 'chat' ? {} : '', this.finishReason(stop)));
    if (this.call.includeUsage) this.onChunk?.({ ...this.head(), choices: [], usage: this.usage(completionTokens) });
  }

  whole(stop: 'length' | 'end' | 'abort', completionTokens: number): unknown {
    if (!this.stopped.signal.aborted) this.text += this.decode([], true);
    const finish = this.finishReason(stop);
    const choice = this.kind === 'chat'
      ? { index: 0, message: { role: 'assistant', content: this.text, refusal: null }, logprobs: null, finish_reason: finish }
      : { index: 0, text: this.text, logprobs: null, finish_reason: finish };
    return { ...this.head(false), choices: [choice], usage: this.usage(completionTokens) };
  }

  private finishReason(stop: 'length' | 'end' | 'abort'): 'stop' | 'length' {
    return stop === 'length' && !this.stopped.signal.aborted ? 'length' : 'stop';
  }

  private stopAt(): number {
    let at = -1;
    for (const s of this.call.stop) {
      const i = this.text.indexOf(s, Math.max(0, this.emitted - s.length));
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    return at;
  }

  private flush(upTo: number): void {
    if (upTo <= this.emitted) return;
    const piece = this.text.slice(this.emitted, upTo);
    this.emitted = upTo;
    this.onChunk?.(this.chunk(this.kind === 'chat' ? { content: piece } : piece, null));
  }

  private head(chunk = true) {
    const object = this.kind === 'chat' ? (chunk ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';
    return { id: this.id, object, created: this.created, model: this.call.model, system_fingerprint: null };
  }

  private chunk(delta: string | Record<string, string>, finish: string | null): unknown {
    const choice = typeof delta === 'string' ? { index: 0, text: delta, logprobs: null, finish_reason: finish } : { index: 0, delta, logprobs: null, finish_reason: finish };
    return { ...this.head(), choices: [choice] };
  }

  private usage(completionTokens: number) {
    const prompt = this.call.prompt.length;
    return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
  }
}

function errorBody(message: string, type: string, param: string | null, code: string | null) {
  return { error: { message, type, param, code } };
}

/** Any error as OpenAI's {error} body with its HTTP status. */
export function openAIError(err: FastifyError | Error): { status: number; body: ReturnType<typeof errorBody> } {
  if (err instanceof ParamError) return { status: 400, body: errorBody(err.message, 'invalid_request_error', err.param, err.code) };
  if (err instanceof ModelNotFoundError) return { status: 404, body: errorBody(`The model '${err.model}' does not exist`, 'invalid_request_error', 'model', 'model_not_found') };
  if (err instanceof OverloadError) return { status: err.status, body: errorBody(err.message, err.status === 429 ? 'rate_limit_error' : 'server_error', null, 'overloaded') };
  if (isOutOfMemory(err)) return { status: 503, body: errorBody(`${err.message}; retry later`, 'server_error', null, err instanceof QueueDeadlineError ? 'deadline_exceeded' : 'out_of_memory') };
  if (err instanceof RequestError) return { status: err.status, body: errorBody(err.message, err.status < 500 ? 'invalid_request_error' : 'server_error', null, null) };
  const code = (err as FastifyError).statusCode;
  if (typeof code === 'number' && code >= 400 && code < 500) return { status: code, body: errorBody(err.message, 'invalid_request_error', null, null) };
  return { status: 500, body: errorBody(`${err.name}: ${err.message}`, 'server_error', null, null) };
}
