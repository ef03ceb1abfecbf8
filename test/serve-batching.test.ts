// Dynamic batching and admission on the server: requests that meet in the
// queue run as one engine call and each caller gets its own rows, equal to
// running alone; statistics count requests and runs as made; a full queue
// answers 503, a client over its share 429, both with Retry-After, while
// other clients still get in; a request past its deadline or whose client
// went away is dropped before it runs; out-of-memory is a 503.
import { request, type ClientRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { OutOfMemoryError } from '../src/core/errors.js';
import { ModelStore, type ModelInfo, type TensorData } from '../src/infer/store.js';
import { buildModel } from '../src/onnx/writer.js';
import type { RunOptions, ServableStore } from '../src/serve/engine.js';
import { DEFAULT_POLICY } from '../src/serve/model-policy.js';
import { createServer } from '../src/serve/server.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const IN = 5;
const OUT = 4;
let arena: Arena;
let store: ModelStore;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 8 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena);
  const r = rng(17);
  store.registerBytes('mlp', buildModel({
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', IN] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', OUT] }],
    initializers: { w: { type: 'float32', dims: [IN, OUT], data: randn(IN * OUT, r) }, b: { type: 'float32', dims: [OUT], data: randn(OUT, r) } },
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
      { op: 'Add', inputs: ['h', 'b'], outputs: ['a'] },
      { op: 'Tanh', inputs: ['a'], outputs: ['y'] },
    ],
  }));
  await store.load('mlp');
}, 60_000);
afterAll(() => arena?.destroy());

/** Counts engine runs and the requests each carried; runs wait on `hold` while it is set. */
class CountingStore implements ServableStore {
  runs: { rows: number; requests: number }[] = [];
  hold: Promise<void> | null = null;
  oom = false;
  constructor(readonly inner: ServableStore) {}
  load(n: string) {
    return this.inner.load(n);
  }
  get(n: string): ModelInfo | undefined {
    return this.inner.get(n);
  }
  list(): ModelInfo[] {
    return this.inner.list();
  }
  async run(n: string, inputs: Record<string, TensorData>, opts?: RunOptions) {
    this.runs.push({ rows: inputs.x!.dims[0]!, requests: opts?.requests ?? 1 });
    if (this.hold) await this.hold;
    if (this.oom) throw new OutOfMemoryError(1 << 30, 'infer', 0, 0);
    return this.inner.run(n, inputs);
  }
}

const body = (x: Float32Array, rows: number) => JSON.stringify({ inputs: [{ name: 'x', shape: [rows, IN], datatype: 'FP32', data: Array.from(x) }] });
const infer = (app: FastifyInstance, x: Float32Array, rows: number, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/v2/models/mlp/infer', payload: body(x, rows), headers: { 'content-type': 'application/json', ...headers } }).then((r) => r); // sent now, not when awaited

function gated(): { open: () => void; promise: Promise<void> } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { open, promise };
}

describe('dynamic batching', () => {
  it('requests meeting in the queue run as one batch; each caller gets its own rows, equal to running alone; stats count it', async () => {
    const counting = new CountingStore(store);
    const app = createServer({ store: counting, arena, policy: { ...DEFAULT_POLICY, maxBatchSize: 6, maxQueueDelayMs: 60_000 } });
    const r = rng(5);
    const rows = [1, 3, 2];
    const xs = rows.map((n) => randn(n * IN, r, 2));
    // 6 rows fill the batch: it runs at once, without waiting for the delay.
    const answers = await Promise.all(xs.map((x, i) => infer(app, x, rows[i]!)));
    expect(counting.runs).toEqual([{ rows: 6, requests: 3 }]);
    for (const [i, res] of answers.entries()) {
      expect(res.statusCode, res.body).toBe(200);
      const got = (res.json() as { outputs: { shape: number[]; data: number[] }[] }).outputs[0]!;
      const alone = await store.run('mlp', { x: { type: 'float32', dims: [rows[i]!, IN], data: xs[i]! } });
      expect(got.shape).toEqual([rows[i], OUT]);
      const want = Array.from(alone.y!.data as Float32Array);
      got.data.forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[j]!))));
    }
    const stats = (await app.inject({ method: 'GET', url: '/v2/models/mlp/stats' })).json() as { model_stats: Record<string, unknown>[] };
    expect(stats.model_stats[0]).toMatchObject({
      name: 'mlp', version: '1', inference_count: 6, execution_count: 1, // inferences are rows, as Triton counts them
      inference_stats: { success: { count: 3 }, fail: { count: 0 }, queue: { count: 3 }, compute_infer: { count: 3 } },
      batch_stats: [{ batch_size: 6, compute_infer: { count: 1 } }],
    });
    await app.close();
  }, 60_000);

  it('with batching off (max batch 1) every request is its own run; statistics match the requests made', async () => {
    const counting = new CountingStore(store);
    const app = createServer({ store: counting, arena, policy: { ...DEFAULT_POLICY, maxBatchSize: 1 } });
    const r = rng(6);
    await Promise.all([1, 1, 1, 1, 1].map(() => infer(app, randn(IN, r), 1)));
    const bad = await infer(app, randn(IN, r), 1, { 'x-deadline-ms': 'soon' });
    expect(bad.statusCode).toBe(400);
    expect(counting.runs).toHaveLength(5);
    const all = (await app.inject({ method: 'GET', url: '/v2/models/stats' })).json() as { model_stats: { name: string; inference_count: number; execution_count: number; batch_stats: unknown[] }[] };
    expect(all.model_stats.map((m) => [m.name, m.inference_count, m.execution_count])).toEqual([['mlp', 5, 5]]);
    expect(all.model_stats[0]!.batch_stats).toEqual([{ batch_size: 1, compute_input: { count: 5, ns: 0 }, compute_infer: { count: 5, ns: expect.any(Number) }, compute_output: { count: 5, ns: 0 } }]);
    expect((await app.inject({ method: 'GET', url: '/v2/models/nope/stats' })).statusCode).toBe(404);
    await app.close();
  }, 60_000);
});

/** Polls `cond` every 5 ms; fails naming `what` after 20 s instead of hanging until the test's timeout. */
async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > 20_000) throw new Error(`waited 20 s for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('admission', () => {
  it('a full queue answers 503 and a client over its share 429, with Retry-After; another client still gets in; all admitted are answered', async () => {
    const counting = new CountingStore(store);
    const gate = gated();
    counting.hold = gate.promise;
    const app = createServer({ store: counting, arena, policy: { ...DEFAULT_POLICY, maxBatchSize: 1, maxQueue: 3, maxQueuePerClient: 2 } });
    const x = randn(IN, rng(7));
    const a = (n: number) => Array.from({ length: n }, () => infer(app, x, 1, { 'x-client-id': 'flood' }));
    const [first] = a(1); // runs (held)
    while (counting.runs.length === 0) await new Promise((r) => setTimeout(r, 1));
    const flood = a(2); // waits: the flooder's share
    const over = await infer(app, x, 1, { 'x-client-id': 'flood' });
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.json().error).toMatch(/share of the queue/);
    const other = infer(app, x, 1, { 'x-client-id': 'polite' }); // within the model's bound: admitted
    const full = await infer(app, x, 1, { 'x-client-id': 'third' });
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBeDefined();
    expect(full.json().error).toMatch(/requests waiting/);
    gate.open();
    const done = await Promise.all([first, ...flood, other]);
    expect(done.map((d) => d.statusCode)).toEqual([200, 200, 200, 200]);
    expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    await app.close();
  }, 60_000);

  it('a request past its deadline, or whose client went away, is dropped before it runs', async () => {
    const counting = new CountingStore(store);
    const gate = gated();
    counting.hold = gate.promise;
    const app = createServer({ store: counting, arena, policy: { ...DEFAULT_POLICY, maxBatchSize: 1 } });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const x = randn(IN, rng(8));
    const send = (headers: Record<string, string>, signal?: AbortSignal) =>
      fetch(`${url}/v2/models/mlp/infer`, { method: 'POST', signal, headers: { 'content-type': 'application/json', ...headers }, body: body(x, 1) });
    let goneReq: ClientRequest | null = null;
    const held = send({});
    await until(async () => counting.runs.length > 0, 'the held request to run');
    // On a connection of its own (node:http, no pool).
    const late = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = request(`${url}/v2/models/mlp/infer`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-deadline-ms': '30' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      r.on('error', reject);
      r.end(body(x, 1));
    });
    expect(late.status).toBe(503);
    expect((JSON.parse(late.text) as { error: string }).error).toMatch(/deadline of 30 ms passed/);
    const queued = async () => Number(/handover_infer_queued (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())![1]);
    const queued0 = await queued();
    // The client that goes away: a raw request whose socket is destroyed while it waits in the queue.
    const gone = new Promise<string>((resolve) => {
      const r = request(`${url}/v2/models/mlp/infer`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
      r.on('error', () => resolve('aborted'));
      r.on('close', () => resolve('aborted')); // after 'response' this changes nothing
      r.on('response', () => resolve('answered'));
      r.end(body(x, 1));
      goneReq = r;
    });
    const statsOf = async () => ((await (await fetch(`${url}/v2/models/mlp/stats`)).json()) as { model_stats: { inference_stats: { fail: { count: number } } }[] }).model_stats[0]!;
    expect((await statsOf()).inference_stats.fail.count).toBe(1); // the late one
    // The gone one waits in the queue: one more queued than before it was sent (the held run may count too).
    await until(async () => (await queued()) === queued0 + 1, 'the departing request to wait in the queue');
    goneReq!.destroy();
    expect(await gone).toBe('aborted');
    await until(async () => (await statsOf()).inference_stats.fail.count >= 2, 'the departed request to be dropped'); // the gone one
    gate.open();
    expect((await held).status).toBe(200);
    expect(counting.runs).toHaveLength(1); // neither the late nor the gone request ran
    app.server.closeAllConnections(); // keep-alive sockets of fetch: do not wait for their timeout
    await app.close();
  }, 60_000);

  it('caps: too many rows is a 400; out of memory is a 503 with Retry-After, never a 500', async () => {
    const counting = new CountingStore(store);
    const app = createServer({ store: counting, arena, limits: { maxRequestRows: 4, maxResponseBytes: 1 << 20 } });
    const big = await infer(app, randn(5 * IN, rng(9)), 5);
    expect([big.statusCode, big.json().error]).toEqual([400, expect.stringMatching(/at most 4 rows/)]);
    counting.oom = true;
    const oom = await infer(app, randn(IN, rng(9)), 1);
    expect(oom.statusCode).toBe(503);
    expect(oom.headers['retry-after']).toBe('1');
    await app.close();
    const tiny = createServer({ store, arena, limits: { maxResponseBytes: 3 * OUT * 4 } });
    expect((await infer(tiny, randn(4 * IN, rng(10)), 4)).json().error).toMatch(/over the server's cap of 48/);
    expect((await infer(tiny, randn(3 * IN, rng(10)), 3)).statusCode).toBe(200);
    await tiny.close();
  }, 60_000);
});

describe('handover serve --max-batch --max-queue-delay-ms', () => {
  it('four one-row requests fill a batch of 4 at once (the 60 s delay never runs out); each gets its own rows', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startServe, writeCliEntry } = await import('./helpers/serve-child.js');
    const dir = mkdtempSync(join(tmpdir(), 'handover-batch-cli-'));
    writeCliEntry(dir);
    writeFileSync(join(dir, 'relu.onnx'), buildModel({
      inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }], outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    }));
    const s = await startServe(dir, ['--port', '0', '--arena-mb', '8', '--model', `relu=${join(dir, 'relu.onnx')}`, '--max-batch', '4', '--max-queue-delay-ms', '60000']);
    try {
      const r = rng(30);
      const xs = [0, 1, 2, 3].map(() => Array.from(randn(3, r, 2)));
      const answers = await Promise.all(xs.map(async (x) => {
        const res = await fetch(`${s.url}/v2/models/relu/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: x }] }) });
        return ((await res.json()) as { outputs: { shape: number[]; data: number[] }[] }).outputs[0]!;
      }));
      answers.forEach((a, i) => expect(a).toEqual({ name: 'y', datatype: 'FP32', shape: [1, 3], data: xs[i]!.map((v) => Math.max(0, v)) }));
      const stats = (await (await fetch(`${s.url}/v2/models/relu/stats`)).json()) as { model_stats: { inference_count: number; execution_count: number; batch_stats: { batch_size: number }[] }[] };
      expect(stats.model_stats[0]).toMatchObject({ inference_count: 4, execution_count: 1, batch_stats: [{ batch_size: 4 }] });
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
