// `handover serve --model gpt=tiny_gpt_kv.onnx` as a user runs it: the
// decoder is served on /v2/models/gpt/generate and /v1/completions, and
// readiness means "can answer a request".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, writeCliEntry } from './helpers/serve-child.js';
import { KV_MODEL } from './llm-helpers.js';

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
      const cmpl = await post('/v1/completions', { model: 'gpt', prompt: [1, 2, 3], max_tokens: 4, temperature: 0 });
      expect(cmpl.status).toBe(200);
      const body = (await cmpl.json()) as { choices: { text: string }[]; usage: { completion_tokens: number } };
      expect(body.usage.completion_tokens).toBe(4);
      expect(s.stderr()).toContain('KV-cache decoder');
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  }, 120_000);

  it('a model that loads on its first request is ready (with --train)', async () => {
    const s = await startServe(dir, ['--port', '0', '--arena-mb', '48', '--model', `gpt=${KV_MODEL}`, '--train', 'digits', '--micro-batch', '32']);
    try {
      expect(s.stderr()).toContain('loaded on its first request');
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${s.url}/v2/models/gpt/ready`)).status).toBe(200);
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  }, 120_000);
});
