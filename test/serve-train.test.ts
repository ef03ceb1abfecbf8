// `handover serve --train`: training shares the arena with the served models;
// a request makes its model resident through the colocation core (memory
// handed over from training), is answered correctly, and training goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import { rng } from './helpers/gpu.js';
import { startServe, writeCliEntry } from './helpers/serve-child.js';

let dir: string;
let modelFile: string;
let modelBytes: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handover-serve-train-'));
  modelFile = join(dir, 'mlp.onnx');
  modelBytes = mlpOnnx({ sizes: [64, 96, 10], seed: 3 });
  writeFileSync(modelFile, modelBytes);
  writeCliEntry(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gauge(metrics: string, name: string, label: string): number {
  const m = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : NaN;
}

describe('handover serve --train', () => {
  it('hands memory from training to a model on its first request and answers it correctly', async () => {
    const s = await startServe(dir, ['--port', '0', '--arena-mb', '24', '--train', 'digits', '--micro-batch', '128', '--model', `mlp=${modelFile}`]);
    try {
      await new Promise((r) => setTimeout(r, 1500)); // training grows into the arena
      const before = await (await fetch(`${s.url}/metrics`)).text();
      expect(gauge(before, 'handover_arena_pages', 'owner="train"')).toBeGreaterThan(0);
      const r = rng(11);
      const x = Array.from({ length: 2 * 64 }, () => r());
      const res = await fetch(`${s.url}/v2/models/mlp/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'input', shape: [2, 64], datatype: 'FP32', data: x }] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(modelBytes);
      const want = (await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), [2, 64]) })).output!.data as Float32Array;
      expect(body.outputs[0]!.shape).toEqual([2, 10]);
      body.outputs[0]!.data.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
      const after = await (await fetch(`${s.url}/metrics`)).text();
      expect(gauge(after, 'handover_arena_pages', 'owner="infer"')).toBeGreaterThan(0);
      // The memory came from training: its page limit went down.
      const limit = (t: string) => Number(/^handover_arena_train_limit_pages(?:\{[^}]*\})? (\S+)$/m.exec(t)?.[1]);
      expect(limit(after)).toBeLessThan(limit(before));
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exit).toBe(0);
    const m = /training: (\d+) samples/.exec(s.stderr());
    expect(Number(m?.[1])).toBeGreaterThan(0);
  });

  it('keeps the runs\' workspaces from a training job that wants more than the arena, so requests are answered', async () => {
    // 64-256-256-10 at micro-batch 65,536 wants far more than 12 pages: without the kept workspace every page
    // beyond the model's weights went to training and each request failed with an out-of-memory 503.
    const s = await startServe(dir, ['--port', '0', '--arena-mb', '24', '--train', 'digits', '--micro-batch', '65536', '--max-batch', '4', '--model', `mlp=${modelFile}`]);
    try {
      await new Promise((r) => setTimeout(r, 1500)); // training grows into the arena
      const r = rng(12);
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(modelBytes);
      for (const rows of [1, 4]) {
        const x = Array.from({ length: rows * 64 }, () => r());
        const res = await fetch(`${s.url}/v2/models/mlp/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'input', shape: [rows, 64], datatype: 'FP32', data: x }] }),
        });
        expect(res.status, await res.clone().text()).toBe(200);
        const body = (await res.json()) as { outputs: { shape: number[]; data: number[] }[] };
        const want = (await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), [rows, 64]) })).output!.data as Float32Array;
        expect(body.outputs[0]!.shape).toEqual([rows, 10]);
        body.outputs[0]!.data.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
      }
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/[1-9]\d* pages kept for runs' workspaces \(1 run\(s\) at up to 4 rows\)/);
  });
});
