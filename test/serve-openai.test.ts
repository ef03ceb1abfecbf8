// The OpenAI-compatible routes driven by the official `openai` client, used
// as its README shows, against a real server on loopback: a completion whose
// text is greedy generation alone decoded, a streamed chat equal to the same
// chat unstreamed, stop strings, and OpenAI-shaped errors. Then generation
// stopping when its client goes.
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import type { Batcher } from '../src/llm/batcher.js';
import type { Generator } from '../src/llm/generate.js';
import { createServer } from '../src/serve/server.js';
import type { GenerativeEngine } from '../src/serve/engine.js';
import { BlocksExhaustedError, QueueDeadlineError } from '../src/llm/errors.js';
import { ByteTokenizer, chatPrompt } from '../src/serve/tokenizer.js';
import { VOCAB, servedGpt } from './llm-helpers.js';

let arena: Arena;
let app: FastifyInstance;
let batcher: Batcher;
let alone: Generator;
let client: OpenAI;
let url: string;
const tok = new ByteTokenizer(VOCAB);
const decode = (ids: number[]) => tok.streamDecoder()(ids, true);

beforeAll(async () => {
  ({ arena, batcher, alone, app } = await servedGpt());
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await app?.close();
  arena?.destroy();
});

describe('the openai client against /v1', () => {
  it('lists the model and answers a completion: greedy text is generation alone, decoded; usage counts tokens', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt']);
    const prompt = 'The GPU is shared';
    const completion = await client.completions.create({ model: 'gpt', prompt, max_tokens: 6, temperature: 0 });
    const want = await alone.generate(tok.encode(prompt), { maxTokens: 6 });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]!.text).toBe(decode(want.tokens));
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage).toEqual({ prompt_tokens: prompt.length, completion_tokens: 6, total_tokens: prompt.length + 6 });
  }, 60_000);

  it('streams a chat as chunks ending in [DONE]; the pieces join to the unstreamed answer', async () => {
    const messages = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Say hi' }];
    const stream = await client.chat.completions.create({ model: 'gpt', messages, max_tokens: 5, temperature: 0.7, top_p: 0.9, seed: 11, stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    const finish: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) (pieces.push(c.delta.content ?? ''), finish.push(c.finish_reason));
    }
    const whole = await client.chat.completions.create({ model: 'gpt', messages, max_tokens: 5, temperature: 0.7, top_p: 0.9, seed: 11 });
    const want = await alone.generate(tok.encode(chatPrompt(messages)), { maxTokens: 5, temperature: 0.7, topP: 0.9, seed: 11 });
    expect(whole.choices[0]!.message.content).toBe(decode(want.tokens));
    expect(pieces.join('')).toBe(whole.choices[0]!.message.content);
    expect(finish.filter((f) => f !== null)).toEqual(['length']);
    expect(usage).toEqual({ prompt_tokens: chatPrompt(messages).length, completion_tokens: 5, total_tokens: chatPrompt(messages).length + 5 });
  }, 60_000);

  it('a stop string ends the text before it, finish_reason stop', async () => {
    const prompt = [5, 6, 7, 8];
    const full = decode((await alone.generate(prompt, { maxTokens: 8 })).tokens);
    expect(full.length).toBeGreaterThan(4);
    const stop = full.slice(2, 4);
    const r = await client.completions.create({ model: 'gpt', prompt, max_tokens: 8, temperature: 0, stop });
    expect(r.choices[0]!.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(r.choices[0]!.finish_reason).toBe('stop');
  }, 60_000);

  it('errors come back in OpenAI\'s shape and the client raises its typed errors', async () => {
    const unknown = await client.completions.create({ model: 'nope', prompt: 'x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    const n2 = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'x' }], n: 2 }).catch((e: unknown) => e);
    expect(n2).toBeInstanceOf(OpenAI.BadRequestError);
    expect((n2 as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'invalid_request_error', param: 'n' });
    const long = await client.completions.create({ model: 'gpt', prompt: 'x', max_tokens: 100_000 }).catch((e: unknown) => e);
    expect((long as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ param: 'max_tokens', code: 'context_length_exceeded' });
    const raw = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "gpt", "prompt": 3}' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: { message: expect.stringMatching(/prompt/), type: 'invalid_request_error', param: 'prompt', code: null } });
  }, 60_000);

  it('a model whose batch queue is at its bound, or whose KV cache is full, answers 503 with Retry-After, in OpenAI\'s shape', async () => {
    let submitted = 0;
    const busy = { gen: { vocab: VOCAB, maxPositions: 64 }, metrics: { queued: 256 }, submit: () => (submitted++, new Promise<never>(() => {})) };
    const full = { gen: busy.gen, metrics: { queued: 0 }, submit: () => Promise.reject(new BlocksExhaustedError(40, 0)) };
    const other = createServer({ store: new ModelStore(arena), arena, generative: new Map<string, GenerativeEngine>([['busy', busy], ['full', full]]) });
    const res = await other.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'busy', prompt: 'x' } });
    expect([res.statusCode, res.headers['retry-after']]).toEqual([503, '1']);
    expect(res.json()).toEqual({ error: { message: expect.stringMatching(/256 generation requests waiting/), type: 'server_error', param: null, code: 'overloaded' } });
    expect(submitted).toBe(0);
    const oom = await other.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'full', messages: [{ role: 'user', content: 'x' }] } });
    expect([oom.statusCode, oom.headers['retry-after'], oom.json().error.code]).toEqual([503, '1', 'out_of_memory']);
    await other.close();
  });

  it('a generation whose deadline passed while it waited is dropped before it runs; a bad x-deadline-ms is a 400', async () => {
    const before = { ...batcher.metrics };
    await expect(batcher.submit({ prompt: [1, 2], maxTokens: 2, deadline: performance.now() - 1 })).rejects.toBeInstanceOf(QueueDeadlineError);
    expect([batcher.metrics.admitted, batcher.metrics.aborted]).toEqual([before.admitted, before.aborted + 1]);
    const bad = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-deadline-ms': 'soon' }, body: '{"model": "gpt", "prompt": "x"}' });
    expect([bad.status, ((await bad.json()) as { error: { message: string } }).error.message]).toEqual([400, expect.stringMatching(/x-deadline-ms/)]);
  }, 60_000);

  it('a stream whose client goes stops decoding at the next step', async () => {
    const before = { ...batcher.metrics };
    const ctl = new AbortController();
    const res = await fetch(`${url}/v1/completions`, {
      method: 'POST', signal: ctl.signal, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', prompt: [1, 2, 3], max_tokens: 400, temperature: 0, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first token's chunk: generation is running
    ctl.abort();
    await expect(reader.read()).rejects.toThrow();
    while (batcher.metrics.aborted === before.aborted) await new Promise((r) => setTimeout(r, 5));
    await batcher.idle();
    expect(batcher.metrics.aborted).toBe(before.aborted + 1);
    expect(batcher.metrics.finished).toBe(before.finished);
    expect(batcher.metrics.steps - before.steps).toBeLessThan(400);
  }, 120_000);
});
