// The shared models through the server: an image (150,528 floats of nested
// JSON) into squeezenet, int64 token ids into tiny_gpt. The HTTP answer must
// equal, bit for bit, what ModelStore.run returns for the same inputs:
// the JSON conversion in both directions loses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { createServer } from '../src/serve/server.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const r = rng(Date.now() & 0xffff);
let arena: Arena;
let store: ModelStore;
let app: FastifyInstance;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 128 << 20 });
  store = new ModelStore(arena);
  store.register('squeezenet', 'test/fixtures/squeezenet1_1.onnx');
  store.register('tiny_gpt', 'test/fixtures/tiny_gpt.onnx');
  app = createServer({ store, arena });
});

afterAll(async () => {
  await app.close();
  for (const m of store.list()) if (m.state === 'warm') await store.unload(m.name);
  arena.destroy();
});

/** [a, b, c, d] as nested arrays of a flat row-major array. */
function nest(flat: number[], dims: number[]): unknown[] {
  if (dims.length === 1) return flat;
  const step = flat.length / dims[0]!;
  return Array.from({ length: dims[0]! }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), dims.slice(1)));
}

describe('shared models through the server', () => {
  it('squeezenet: a nested 1x3x224x224 image; the answer equals ModelStore.run bit for bit', async () => {
    const dims = [1, 3, 224, 224];
    const x = randn(3 * 224 * 224, r);
    const res = await app.inject({ method: 'POST', url: '/v2/models/squeezenet/infer', payload: { inputs: [{ name: 'input', shape: dims, datatype: 'FP32', data: nest([...x], dims) }] } });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const out = res.json().outputs[0];
    expect([out.name, out.datatype, out.shape]).toEqual(['output', 'FP32', [1, 1000]]);
    const direct = await store.run('squeezenet', { input: { type: 'float32', dims, data: x } });
    expect(out.data).toEqual([...(direct.output!.data as Float32Array)]);
  });

  it('tiny_gpt: int64 token ids at batch 2; the answer equals ModelStore.run bit for bit', async () => {
    const ids = Array.from({ length: 64 }, () => Math.floor(r() * 1000));
    const res = await app.inject({ method: 'POST', url: '/v2/models/tiny_gpt/infer', payload: { id: 'gpt', inputs: [{ name: 'input_ids', shape: [2, 32], datatype: 'INT64', data: ids }] } });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const out = res.json().outputs[0];
    expect([res.json().id, out.name, out.shape]).toEqual(['gpt', 'logits', [2, 32, 2048]]);
    const direct = await store.run('tiny_gpt', { input_ids: { type: 'int64', dims: [2, 32], data: BigInt64Array.from(ids, BigInt) } });
    expect(out.data).toEqual([...(direct.logits!.data as Float32Array)]);
  });
});
