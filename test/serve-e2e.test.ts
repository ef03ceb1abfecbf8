// The server end to end on the real engine: a Gemm-Relu-Gemm MLP written
// with the ONNX writer, loaded by the ModelStore into inference pages of an
// arena on Dawn, served over loopback HTTP. Every answer is checked against
// a float64 CPU computation of the same model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { buildModel } from '../src/onnx/writer.js';
import { createServer } from '../src/serve/server.js';
import { closeness, randn, rng, testDevice } from './helpers/gpu.js';

const [IN, HIDDEN, OUT] = [8, 16, 4];
const r = rng(Date.now() & 0xffff);
const w1 = randn(HIDDEN * IN, r, 0.5);
const b1 = randn(HIDDEN, r, 0.5);
const w2 = randn(OUT * HIDDEN, r, 0.5);
const b2 = randn(OUT, r, 0.5);

/** y = relu(x W1^T + b1) W2^T + b2, as PyTorch exports nn.Linear (Gemm, transB = 1). */
function mlpModel(): Uint8Array {
  return buildModel({
    name: 'mlp',
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', IN] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', OUT] }],
    initializers: {
      w1: { type: 'float32', dims: [HIDDEN, IN], data: w1 },
      b1: { type: 'float32', dims: [HIDDEN], data: b1 },
      w2: { type: 'float32', dims: [OUT, HIDDEN], data: w2 },
      b2: { type: 'float32', dims: [OUT], data: b2 },
    },
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Relu', inputs: ['h'], outputs: ['hr'] },
      { op: 'Gemm', inputs: ['hr', 'w2', 'b2'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}

const VOCAB = 10;
const table = randn(VOCAB * 4, r);

/** int64 in, float32, int64 and bool out: emb = E[ids], next = ids + 1, positive = emb > 0. */
function embedModel(): Uint8Array {
  return buildModel({
    name: 'embed',
    inputs: [{ name: 'ids', type: 'int64', dims: ['batch', 3] }],
    outputs: [
      { name: 'emb', type: 'float32', dims: ['batch', 3, 4] },
      { name: 'next', type: 'int64', dims: ['batch', 3] },
      { name: 'positive', type: 'bool', dims: ['batch', 3, 4] },
    ],
    initializers: {
      table: { type: 'float32', dims: [VOCAB, 4], data: table },
      one: { type: 'int64', dims: [], data: new Float64Array([1]) },
      zero: { type: 'float32', dims: [], data: new Float32Array([0]) },
    },
    nodes: [
      { op: 'Gather', inputs: ['table', 'ids'], outputs: ['emb'], attrs: { axis: 0 } },
      { op: 'Add', inputs: ['ids', 'one'], outputs: ['next'] },
      { op: 'Greater', inputs: ['emb', 'zero'], outputs: ['positive'] },
    ],
  });
}

function mlpRef(x: ArrayLike<number>, batch: number): Float64Array {
  const y = new Float64Array(batch * OUT);
  const h = new Float64Array(HIDDEN);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < HIDDEN; j++) {
      let s = b1[j]!;
      for (let k = 0; k < IN; k++) s += x[b * IN + k]! * w1[j * IN + k]!;
      h[j] = Math.max(0, s);
    }
    for (let o = 0; o < OUT; o++) {
      let s = b2[o]!;
      for (let j = 0; j < HIDDEN; j++) s += h[j]! * w2[o * HIDDEN + j]!;
      y[b * OUT + o] = s;
    }
  }
  return y;
}

function inferBody(batch: number, id: string): { body: string; x: Float32Array } {
  const x = randn(batch * IN, r);
  return { x, body: JSON.stringify({ id, inputs: [{ name: 'x', shape: [batch, IN], datatype: 'FP32', data: [...x] }] }) };
}

interface V2Output {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

let dir: string;
let arena: Arena;
let store: ModelStore;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handover-serve-'));
  writeFileSync(join(dir, 'mlp.onnx'), mlpModel());
  writeFileSync(join(dir, 'embed.onnx'), embedModel());
  arena = new Arena(await testDevice(), { bytes: 16 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena);
  store.register('mlp', join(dir, 'mlp.onnx'));
  store.register('mlp-cold', join(dir, 'mlp.onnx'));
  store.register('embed', join(dir, 'embed.onnx'));
  app = createServer({ store, arena, bodyLimit: 1 << 20 });
  await store.load('mlp');
  await store.load('embed');
});

afterAll(async () => {
  await app?.close();
  for (const m of store?.list() ?? []) if (m.state === 'warm') await store.unload(m.name);
  arena?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve on the real ModelStore', () => {
  it('metadata and readiness come from the loaded model', async () => {
    const meta = await app.inject({ method: 'GET', url: '/v2/models/mlp' });
    expect(meta.json()).toEqual({
      name: 'mlp',
      versions: ['1'],
      platform: 'onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, IN] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, OUT] }],
    });
    expect((await app.inject({ method: 'GET', url: '/v2/models/mlp/ready' })).statusCode).toBe(200);
    expect(store.get('mlp-cold')!.state).toBe('cold');
    expect((await app.inject({ method: 'GET', url: '/v2/models/mlp-cold/ready' })).statusCode).toBe(200); // loads on its first request
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
  });

  it('infer matches float64 at batch 1, 3 and 5; a cold model loads on its first request', async () => {
    for (const [model, batch] of [['mlp', 1], ['mlp', 3], ['mlp-cold', 5]] as const) {
      const { x, body } = inferBody(batch, `b${batch}`);
      const res = await app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, payload: body, headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, res.body).toBe(200);
      const json = res.json() as { model_name: string; id: string; outputs: V2Output[] };
      expect([json.model_name, json.id]).toEqual([model, `b${batch}`]);
      const [y] = json.outputs;
      expect([y!.name, y!.datatype, y!.shape]).toEqual(['y', 'FP32', [batch, OUT]]);
      expect(closeness(y!.data, mlpRef(x, batch))).toBeLessThan(1);
    }
    expect(store.get('mlp-cold')!.state).toBe('warm');
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).json()).toEqual({ ready: true });
  });

  it('int64 in; float32, int64 and bool out', async () => {
    const ids = [[3, 0, 9], [-1, 5, 2]];
    const res = await app.inject({ method: 'POST', url: '/v2/models/embed/infer', payload: { inputs: [{ name: 'ids', shape: [2, 3], datatype: 'INT64', data: ids }] } });
    expect(res.statusCode, res.body).toBe(200);
    const [emb, next, positive] = res.json().outputs as V2Output[];
    const want = ids.flat().flatMap((i) => [...table.subarray(((i + VOCAB) % VOCAB) * 4, ((i + VOCAB) % VOCAB) * 4 + 4)]);
    expect([emb!.datatype, emb!.shape, emb!.data]).toEqual(['FP32', [2, 3, 4], want]);
    expect([next!.datatype, next!.shape, next!.data]).toEqual(['INT64', [2, 3], ids.flat().map((i) => i + 1)]);
    expect([positive!.datatype, positive!.data]).toEqual(['BOOL', want.map((v) => v > 0)]);
    const big = await app.inject({ method: 'POST', url: '/v2/models/embed/infer', payload: { inputs: [{ name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 2 ** 40] }] } });
    expect(big.statusCode).toBe(400);
    expect(big.json().error).toMatch(/int64 value 1099511627776 .* int32 range/);
  });

  it('bad requests never reach the engine and leave it serving', async () => {
    const send = (payload: string) => app.inject({ method: 'POST', url: '/v2/models/mlp/infer', payload, headers: { 'content-type': 'application/json' } });
    const x = (shape: number[], data: unknown[], datatype = 'FP32') => JSON.stringify({ inputs: [{ name: 'x', shape, datatype, data }] });
    expect((await send(x([1, IN + 1], new Array(IN + 1).fill(0)))).statusCode).toBe(400);
    expect((await send(x([1, IN], new Array(IN).fill(0), 'INT32'))).statusCode).toBe(400);
    expect((await send(x([2, IN], new Array(IN).fill(0)))).statusCode).toBe(400);
    expect((await send('{"inputs": [{"name": "x"')).statusCode).toBe(400);
    const { x: ok, body } = inferBody(2, 'after');
    const res = await send(body);
    expect(closeness((res.json().outputs as V2Output[])[0]!.data, mlpRef(ok, 2))).toBeLessThan(1);
  });

  it('/metrics reports the model load time and inference pages of the arena', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/handover_model_load_seconds\{model="mlp"\} [0-9.e-]+/);
    expect(text).toMatch(/handover_requests_total\{route="\/v2\/models\/:name\/infer",model="mlp",status="200"\} \d+/);
    const infer = Number(/handover_arena_pages\{owner="infer"\} (\d+)/.exec(text)![1]);
    expect(infer).toBeGreaterThan(0);
    expect(infer).toBe(arena.stats().infer);
  });

  it('1,000 concurrent requests over loopback all get correct answers', async () => {
    const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const one: number[] = [];
    for (let i = 0; i < 50; i++) {
      const { x, body } = inferBody(1, `s${i}`);
      const s = performance.now();
      const res = await post(agent, url, '/v2/models/mlp/infer', body);
      one.push(performance.now() - s);
      expect(closeness((JSON.parse(res.body) as { outputs: V2Output[] }).outputs[0]!.data, mlpRef(x, 1))).toBeLessThan(1);
    }
    one.sort((a, b) => a - b);
    console.log(`serve: one request at a time: p50 ${one[25]!.toFixed(1)} ms, max ${one[49]!.toFixed(1)} ms (50 requests)`);
    const n = 1000;
    const jobs = Array.from({ length: n }, (_, i) => ({ batch: 1 + (i % 4), ...inferBody(1 + (i % 4), `r${i}`) }));
    const latencies: number[] = [];
    const t0 = performance.now();
    const results = await Promise.all(
      jobs.map(async (j) => {
        const s = performance.now();
        const res = await post(agent, url, '/v2/models/mlp/infer', j.body);
        latencies.push(performance.now() - s);
        return res;
      }),
    );
    const wallMs = performance.now() - t0;
    agent.destroy();
    let wrong = 0;
    results.forEach((res, i) => {
      const j = jobs[i]!;
      const json = res.status === 200 ? (JSON.parse(res.body) as { id: string; outputs: V2Output[] }) : undefined;
      const y = json?.outputs[0];
      const ok = json?.id === `r${i}` && y !== undefined && y.shape.join() === `${j.batch},${OUT}` && closeness(y.data, mlpRef(j.x, j.batch)) < 1;
      if (!ok) wrong++;
    });
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(n - 1, Math.floor(p * n))]!.toFixed(1);
    console.log(`serve: ${n} concurrent requests (64 sockets) in ${wallMs.toFixed(0)} ms: ${(n / (wallMs / 1000)).toFixed(0)} req/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, ${wrong} wrong`);
    expect(wrong).toBe(0);
  });
});

function post(agent: http.Agent, url: URL, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
