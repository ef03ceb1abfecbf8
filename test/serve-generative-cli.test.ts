// `handover serve --model gpt=tiny_gpt_kv.onnx` as a user runs it: the
// decoder is served on /v2/models/gpt/generate and /v1/completions, and
// readiness means "can answer a request".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, writeCliEntry } from './helpers/serve-child.js';
import OpenAI from 'openai';
import { ByteTokenizer } from '../src/serve/tokenizer.js';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import { KV_MODEL, ortSteps, VOCAB } from './llm-helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handover-serve-gen-'));
  writeCliEntry(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('handover serve with a KV-cache decoder', () => {
  it('serves generation on /generate and /v1 from the command line, ready at once', async () => {
    const s = await startServe(dir, ['--port', '0', '--arena-mb', '32', '--model', `gpt=${KV_MODEL}`]);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // loopback unless told otherwise
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
      const post = (path: string, body: unknown) => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const gen = await post('/v2/models/gpt/generate', { input_ids: [1, 2, 3], max_tokens: 4 });
      expect(gen.status).toBe(200);
      const ids = ((await gen.json()) as { output_ids: number[] }).output_ids;
      expect(ids).toHaveLength(4);
      // The openai client as its README shows, against the command's server: the same greedy tokens as /generate.
      const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const completion = await client.completions.create({ model: 'gpt', prompt: '\u0001\u0002\u0003', max_tokens: 4, temperature: 0 });
      expect(completion.choices[0]!.text).toBe(new ByteTokenizer(VOCAB).streamDecoder()(ids, true));
      expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4 });
      const stream = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, seed: 4, stream: true });
      let chunks = 0;
      for await (const chunk of stream) chunks += chunk.choices.length;
      expect(chunks).toBeGreaterThanOrEqual(2); // the role chunk, content, the finish chunk
      const missing = await client.completions.create({ model: 'nope', prompt: 'x' }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect(s.stderr()).toContain('KV-cache decoder');
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  }, 120_000);

  // With --train the decoder is the colocation system's generation side (one KV cache, REQUIREs
  // through the scheduler), as in `handover run`'s LLM workload; a vision model beside it loads on
  // its first request.
  it('a model that loads on its first request is ready (with --train), and the decoder generates through the system', async () => {
    const mlp = join(dir, 'mlp.onnx');
    writeFileSync(mlp, mlpOnnx({ sizes: [64, 96, 10], seed: 3 }));
    const s = await startServe(dir, ['--port', '0', '--arena-mb', '48', '--model', `gpt=${KV_MODEL}`, '--model', `mlp=${mlp}`, '--train', 'digits', '--micro-batch', '32']);
    try {
      expect(s.stderr()).toContain('loaded on its first request');
      expect(s.stderr()).toContain("model gpt: " + KV_MODEL);
      expect(s.stderr()).toContain("the system's decoder");
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${s.url}/v2/models/gpt/ready`)).status).toBe(200);
      const post = (path: string, body: unknown) => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const gen = await post('/v2/models/gpt/generate', { input_ids: [1, 2, 3], max_tokens: 4 });
      expect(gen.status).toBe(200);
      const ids = ((await gen.json()) as { output_ids: number[] }).output_ids;
      expect(ids).toHaveLength(4);
      // Greedy against onnxruntime: each token is (within fp32 rounding) the most likely at its step.
      const logits = await ortSteps([[1, 2, 3], ...ids.slice(0, -1).map((t) => [t])]);
      logits.forEach((l, k) => {
        const row = l.subarray(l.length - VOCAB);
        expect(Math.max(...row) - row[ids[k]!]!).toBeLessThan(1e-3);
      });
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  }, 120_000);
});
