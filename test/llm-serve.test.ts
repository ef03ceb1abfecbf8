// The generate endpoints of the KServe v2 server on the real engine:
// token ids in, token ids out (equal to generation alone), concurrent
// requests joining one continuous batch, the server-sent-events stream, and
// a 4xx JSON {error} for every kind of bad request.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arena } from '../src/core/arena.js';
import type { Batcher } from '../src/llm/batcher.js';
import type { Generator } from '../src/llm/generate.js';
import { promptOf, servedGpt } from './llm-helpers.js';

let arena: Arena;
let app: FastifyInstance;
let batcher: Batcher;
let alone: Generator;

beforeAll(async () => {
  ({ arena, batcher, alone, app } = await servedGpt());
}, 60_000);
afterAll(async () => {
  await app?.close();
  arena?.destroy();
});

const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('POST /v2/models/{name}/generate', () => {
  it('token ids in, token ids out: greedy equals generation alone; concurrent requests share the batch', async () => {
    const prompts = [promptOf(4, 70), promptOf(3, 71)];
    const [a, b] = await Promise.all(prompts.map((p) => post('/v2/models/gpt/generate', { input_ids: p, max_tokens: 3 })));
    for (const [i, res] of [a!, b!].entries()) {
      expect(res.statusCode).toBe(200);
      const body = res.json() as { model_name: string; output_ids: number[]; stop: string; ttft_ms: number; tbt_ms: number[] };
      expect(body).toMatchObject({ model_name: 'gpt', stop: 'length' });
      expect(body.output_ids).toEqual((await alone.generate(prompts[i]!, { maxTokens: 3 })).tokens);
      expect(body.ttft_ms).toBeGreaterThan(0);
      expect(body.tbt_ms).toHaveLength(2);
    }
    expect(batcher.metrics.maxRunning).toBe(2);
  }, 60_000);

  it('the stream sends one event per token, then done with the same ids', async () => {
    const prompt = promptOf(4, 72);
    const res = await post('/v2/models/gpt/generate_stream', { input_ids: prompt, max_tokens: 3, temperature: 0.8, top_k: 20, seed: 5 });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.body.trim().split('\n\n').map((e) => {
      const [ev, data] = e.split('\n');
      return { event: ev!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) as Record<string, unknown> };
    });
    expect(events.map((e) => e.event)).toEqual(['token', 'token', 'token', 'done']);
    const ids = events.slice(0, 3).map((e) => e.data.token);
    expect(events.slice(0, 3).map((e) => e.data.index)).toEqual([0, 1, 2]);
    expect(events[3]!.data.output_ids).toEqual(ids);
    expect(ids).toEqual((await alone.generate(prompt, { maxTokens: 3, temperature: 0.8, topK: 20, seed: 5 })).tokens);
  }, 60_000);

  it('bad requests are 4xx JSON errors, on both routes, before anything streams', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/v2/models/nope/generate', { input_ids: [1], max_tokens: 1 }, 404, /unknown model 'nope'/],
      ['/v2/models/gpt/generate', { max_tokens: 1 }, 400, /input_ids/],
      ['/v2/models/gpt/generate', { input_ids: [1, 'a'], max_tokens: 1 }, 400, /input_ids\[1\]/],
      ['/v2/models/gpt/generate', { input_ids: [], max_tokens: 1 }, 400, /at least one token/],
      ['/v2/models/gpt/generate', { input_ids: [5000], max_tokens: 1 }, 400, /vocabulary/],
      ['/v2/models/gpt/generate', { input_ids: [1], max_tokens: 1000 }, 400, /positions/],
      ['/v2/models/gpt/generate', { input_ids: [1], max_tokens: 1, temperature: -2 }, 400, /temperature/],
      ['/v2/models/gpt/generate', { input_ids: [1], max_tokens: 1, prompt: 'hi' }, 400, /unknown field 'prompt'/],
      ['/v2/models/gpt/generate', '{not json', 400, /JSON/i],
      ['/v2/models/gpt/generate_stream', { input_ids: [1], max_tokens: -1 }, 400, /maxTokens/],
      ['/v2/models/nope/generate_stream', { input_ids: [1], max_tokens: 1 }, 404, /unknown model/],
    ];
    for (const [url, body, status, msg] of cases) {
      const res = await post(url, body);
      expect([url, res.statusCode]).toEqual([url, status]);
      expect(res.headers['content-type']).toMatch(/json/);
      expect((res.json() as { error: string }).error).toMatch(msg);
    }
    expect(batcher.metrics.queued).toBe(0);
  });
});
