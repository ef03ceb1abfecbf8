// The v2 protocol layer of the server against a CPU test double of the
// ModelStore: every endpoint's shape, and every kind of bad request gets a
// 4xx with a JSON {error} (never a crash, never an answer). The engine itself
// is exercised end to end in serve-e2e.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Arena } from '../src/core/arena.js';
import type { ModelInfo, ServableStore, TensorData } from '../src/serve/engine.js';
import { DEFAULT_POLICY } from '../src/serve/model-policy.js';
import { createServer } from '../src/serve/server.js';
import { InputError } from '../src/infer/store.js';
import { testDevice } from './helpers/gpu.js';

/** A CPU store: 'add' computes z = x + y (batch x 3), 'echo' returns its int64/int32/bool inputs, 'broken' throws. */
class FakeStore implements ServableStore {
  readonly models = new Map<string, ModelInfo>();
  constructor() {
    const m = (name: string, inputs: ModelInfo['inputs'], outputs: ModelInfo['outputs']): void => {
      this.models.set(name, { name, file: `${name}.onnx`, bytes: 4096, state: 'warm', lastUsed: 0, loadMs: 12, inputs, outputs });
    };
    m('add', [{ name: 'x', type: 'float32', dims: ['batch', 3] }, { name: 'y', type: 'float32', dims: ['batch', 3] }], [{ name: 'z', type: 'float32', dims: ['batch', 3] }]);
    m(
      'echo',
      [{ name: 'i64', type: 'int64', dims: [2] }, { name: 'i32', type: 'int32', dims: [2] }, { name: 'b', type: 'bool', dims: [2] }],
      [{ name: 'i64', type: 'int64', dims: [2] }, { name: 'i32', type: 'int32', dims: [2] }, { name: 'b', type: 'bool', dims: [2] }],
    );
    m('broken', [{ name: 'x', type: 'float32', dims: [1] }], [{ name: 'y', type: 'float32', dims: [1] }]);
    m('picky', [{ name: 'x', type: 'float32', dims: [1] }], [{ name: 'y', type: 'float32', dims: [1] }]);
    m('cold', [{ name: 'x', type: 'float32', dims: [1] }], [{ name: 'y', type: 'float32', dims: [1] }]);
    this.models.get('cold')!.state = 'cold';
  }
  async load(name: string): Promise<ModelInfo> {
    await new Promise((r) => setTimeout(r, 20));
    const m = this.models.get(name)!;
    m.state = 'warm';
    return m;
  }
  async run(name: string, inputs: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    if (name === 'broken') throw new Error('kernel exploded');
    if (name === 'picky') throw new InputError('x', 'value 3000000000 does not fit the device int32');
    if (this.models.get(name)!.state === 'cold') await this.load(name); // as the real store: a cold model loads on its first run
    if (name === 'cold') return { y: inputs.x! };
    if (name === 'echo') return inputs;
    const x = inputs.x!.data as Float32Array;
    const y = inputs.y!.data as Float32Array;
    return { z: { type: 'float32', dims: inputs.x!.dims, data: x.map((v, i) => v + y[i]!) } };
  }
  get(name: string): ModelInfo | undefined {
    return this.models.get(name);
  }
  list(): ModelInfo[] {
    return [...this.models.values()];
  }
}

let app: FastifyInstance;
let store: FakeStore;
let arena: Arena;
const engineErrors: string[] = [];

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 1 << 20, pageBytes: 64 << 10 });
  store = new FakeStore();
  app = createServer({ store, arena, bodyLimit: 4096, log: (l) => engineErrors.push(l) });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  arena.destroy();
});

const infer = (model: string, payload: unknown) => app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, payload: payload as object });
const count = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return Number.isInteger(n) && n > 0 ? n : 3;
};
const addReq = (x: unknown, shape = [1, 3], extra: Record<string, unknown> = {}) => ({
  inputs: [
    { name: 'x', shape, datatype: 'FP32', data: x },
    { name: 'y', shape, datatype: 'FP32', data: new Array(count(shape)).fill(0.5) },
  ],
  ...extra,
});

describe('endpoints', () => {
  it('GET /v2: server metadata', async () => {
    const r = await app.inject({ method: 'GET', url: '/v2' });
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect([r.statusCode, r.json()]).toEqual([200, { name: 'handover', version, extensions: ['binary_tensor_data', 'statistics', 'model_repository'] }]);
  });

  it('GET /v2/health/live', async () => {
    const r = await app.inject({ method: 'GET', url: '/v2/health/live' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ live: true });
  });

  it('GET /v2/models/{name}: metadata with v2 datatypes and -1 for symbolic dims', async () => {
    const r = await app.inject({ method: 'GET', url: '/v2/models/add' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      name: 'add',
      versions: ['1'],
      platform: 'onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }, { name: 'y', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'z', datatype: 'FP32', shape: [-1, 3] }],
    });
    const e = (await app.inject({ method: 'GET', url: '/v2/models/echo/versions/1' })).json();
    expect(e.inputs.map((i: { datatype: string }) => i.datatype)).toEqual(['INT64', 'INT32', 'BOOL']);
  });

  it('GET /v2/health/ready and /v2/models/{name}/ready: a cold model that loads on its first request is ready', async () => {
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    const cold = await app.inject({ method: 'GET', url: '/v2/models/cold/ready' });
    expect(store.get('cold')!.state).toBe('cold');
    expect([cold.statusCode, cold.json()]).toEqual([200, { name: 'cold', ready: true }]);
    const req = { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [7] }] };
    expect((await infer('cold', req)).statusCode).toBe(200);
    const warm = await app.inject({ method: 'GET', url: '/v2/models/cold/ready' });
    expect([warm.statusCode, warm.json()]).toEqual([200, { name: 'cold', ready: true }]);
    expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).json()).toEqual({ ready: true });
  });

  it('POST /v2/models/{name}/infer: flat and nested data, id echoed, outputs in the v2 form', async () => {
    const r = await infer('add', addReq([1, 2, 3], [1, 3], { id: 'req-7' }));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ model_name: 'add', model_version: '1', id: 'req-7', outputs: [{ name: 'z', datatype: 'FP32', shape: [1, 3], data: [1.5, 2.5, 3.5] }] });
    const nested = await infer('add', addReq([[1, 2, 3], [4, 5, 6]], [2, 3]));
    expect(nested.json().outputs[0].data).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    expect(nested.json().id).toBeUndefined();
    const v = await app.inject({ method: 'POST', url: '/v2/models/add/versions/1/infer', payload: addReq([0.1, 0.2, 0.3]) });
    expect(v.json().outputs[0].data).toEqual([...new Float32Array([0.1, 0.2, 0.3]).map((x) => x + 0.5)]);
  });

  it('int64 (exact, also beyond 2^53 on the way out), int32 and bool round-trip; requested outputs only', async () => {
    const r = await infer('echo', {
      inputs: [
        { name: 'i64', shape: [2], datatype: 'INT64', data: [9007199254740991, -42] },
        { name: 'i32', shape: [2], datatype: 'INT32', data: [2147483647, -2147483648] },
        { name: 'b', shape: [2], datatype: 'BOOL', data: [true, false] },
      ],
      outputs: [{ name: 'b' }, { name: 'i64' }],
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().outputs).toEqual([
      { name: 'b', datatype: 'BOOL', shape: [2], data: [true, false] },
      { name: 'i64', datatype: 'INT64', shape: [2], data: [9007199254740991, -42] },
    ]);
  });

  it('GET /metrics: requests by model and status, latency, load times, arena pages by owner', async () => {
    await infer('add', addReq([1, 2, 3]));
    await infer('nope', addReq([1, 2, 3]));
    const r = await app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    const t = r.body;
    expect(t).toMatch(/handover_requests_total\{route="\/v2\/models\/:name\/infer",model="add",status="200"\} \d+/);
    expect(t).toMatch(/handover_requests_total\{route="\/v2\/models\/:name\/infer",model="\(unknown\)",status="404"\} 1/);
    expect(t).toMatch(/handover_request_duration_seconds_bucket\{le="0.005",route="\/v2\/models\/:name\/infer",model="add"\}/);
    expect(t).toMatch(/handover_infer_duration_seconds_count\{model="add"\} \d+/);
    expect(t).toContain('handover_model_load_seconds{model="add"} 0.012');
    expect(t).toContain('handover_model_state{model="add",state="warm"} 1');
    expect(t).toContain(`handover_arena_pages{owner="free"} ${arena.stats().free}`);
    expect(t).toContain('handover_arena_pages{owner="infer"} 0');
    expect(t).toContain('handover_arena_pages{owner="train"} 0');
    expect(t).toContain('handover_infer_queued 0');
  });
});

describe('bad requests get 4xx with a JSON error', () => {
  const bad: [string, string, unknown, number, RegExp][] = [
    ['unknown model', 'nope', addReq([1, 2, 3]), 404, /unknown model 'nope'/],
    ['unknown version', 'add/versions/2', addReq([1, 2, 3]), 404, /no version '2'/],
    ['body not an object', 'add', [1, 2], 400, /JSON object/],
    ['no inputs', 'add', { inputs: [] }, 400, /non-empty array/],
    ['unknown input name', 'add', { inputs: [{ name: 'w', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /no input 'w'.*'x', 'y'/],
    ['missing input', 'add', { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /missing input 'y'/],
    ['duplicate input', 'add', { inputs: [...addReq([1, 2, 3]).inputs, { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /'x'.*more than once/],
    ['wrong datatype', 'add', { inputs: [{ ...addReq([1, 2, 3]).inputs[0], datatype: 'INT64' }, addReq([1, 2, 3]).inputs[1]] }, 400, /INT64 does not match the model's FP32/],
    ['unserved datatype', 'add', { inputs: [{ ...addReq([1, 2, 3]).inputs[0], datatype: 'BF16' }, addReq([1, 2, 3]).inputs[1]] }, 400, /BF16 is not served/],
    ['unknown datatype', 'add', { inputs: [{ ...addReq([1, 2, 3]).inputs[0], datatype: 'FLOAT' }, addReq([1, 2, 3]).inputs[1]] }, 400, /unknown datatype 'FLOAT'/],
    ['wrong rank', 'add', addReq([1, 2, 3], [3]), 400, /rank 1; the model expects \[batch,3\]/],
    ['wrong fixed dim', 'add', addReq([1, 2, 3, 4], [1, 4]), 400, /does not match .* at dimension 1/],
    ['zero dim', 'add', addReq([], [0, 3]), 400, /dimension 0 must be a positive integer/],
    ['fractional dim', 'add', addReq([1, 2, 3], [1.5, 3]), 400, /positive integer/],
    ['batch differs between inputs', 'add', { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }, { name: 'y', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /'batch' is 1 here but 2 in input 'x'/],
    ['data too short', 'add', addReq([1, 2], [1, 3]), 400, /needs 3 values, "data" has 2/],
    ['data too long', 'add', addReq([1, 2, 3, 4, 5, 6], [1, 3]), 400, /needs 3 values, "data" has 6/],
    ['nested rows of the wrong length', 'add', addReq([[1, 2], [3, 4], [5, 6]], [2, 3]), 400, /3 entries at depth 0; shape \[2,3\] needs 2/],
    ['ragged nesting', 'add', addReq([[1, 2, 3], [4, 5]], [2, 3]), 400, /depth 1 has 2 values/],
    ['mixed nesting', 'add', addReq([[1, 2, 3], 4], [2, 3]), 400, /mixes arrays and values/],
    ['nested too deep', 'add', addReq([[[1], [2], [3]]], [1, 3]), 400, /nested deeper/],
    ['data not an array', 'add', addReq('1,2,3'), 400, /"data" must be an array/],
    ['string value', 'add', addReq([1, '2', 3]), 400, /data\[1\] = "2" is not a number/],
    ['null value', 'add', addReq([1, null, 3]), 400, /data\[1\] = null/],
    ['float beyond float32', 'add', addReq([1, 1e39, 3]), 400, /float32 range/],
    ['int64 beyond 2^53', 'echo', { inputs: [{ name: 'i64', shape: [2], datatype: 'INT64', data: [9007199254740993, 1] }, { name: 'i32', shape: [2], datatype: 'INT32', data: [1, 2] }, { name: 'b', shape: [2], datatype: 'BOOL', data: [true, true] }] }, 400, /2\^53/],
    ['int32 overflow', 'echo', { inputs: [{ name: 'i64', shape: [2], datatype: 'INT64', data: [1, 1] }, { name: 'i32', shape: [2], datatype: 'INT32', data: [2147483648, 2] }, { name: 'b', shape: [2], datatype: 'BOOL', data: [true, true] }] }, 400, /not an int32/],
    ['fractional int', 'echo', { inputs: [{ name: 'i64', shape: [2], datatype: 'INT64', data: [1.5, 1] }, { name: 'i32', shape: [2], datatype: 'INT32', data: [1, 2] }, { name: 'b', shape: [2], datatype: 'BOOL', data: [true, true] }] }, 400, /data\[0\] = 1.5/],
    ['bool as number', 'echo', { inputs: [{ name: 'i64', shape: [2], datatype: 'INT64', data: [1, 1] }, { name: 'i32', shape: [2], datatype: 'INT32', data: [1, 2] }, { name: 'b', shape: [2], datatype: 'BOOL', data: [1, 0] }] }, 400, /true or false/],
    ['id not a string', 'add', addReq([1, 2, 3], [1, 3], { id: 7 }), 400, /"id" must be a string/],
    ['unknown output', 'add', addReq([1, 2, 3], [1, 3], { outputs: [{ name: 'q' }] }), 400, /no output 'q'/],
    ['binary_data not a boolean', 'add', addReq([1, 2, 3], [1, 3], { outputs: [{ name: 'z', parameters: { binary_data: 'yes' } }] }), 400, /binary_data/],
    ['binary_data_size without a binary part', 'add', { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } }, { name: 'y', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /no Inference-Header-Content-Length/],
  ];
  for (const [what, model, payload, status, message] of bad)
    it(what, async () => {
      const r = await infer(model, payload);
      expect(r.statusCode).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json().error).toMatch(message);
    });

  const raw = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body, headers });

  it('malformed JSON', async () => {
    const r = await raw('{"inputs": [');
    expect(r.statusCode).toBe(400);
    expect(typeof r.json().error).toBe('string');
  });

  it('data nested 100,000 deep', async () => {
    const deep = '['.repeat(100_000) + '1' + ']'.repeat(100_000);
    const r = await raw(`{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": ${deep}}]}`);
    expect(r.statusCode).toBe(413); // over the 4 KiB limit of this server
    const big = createServer({ store, arena, bodyLimit: 1 << 20 });
    const r2 = await big.inject({ method: 'POST', url: '/v2/models/add/infer', headers: { 'content-type': 'application/json' }, payload: `{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": ${deep}}]}` });
    expect([r2.statusCode, r2.json().error]).toEqual([400, 'JSON body is nested deeper than 32 levels']); // the guard, before parsing
    await big.close();
  });

  it('empty body', async () => {
    const r = await raw('');
    expect(r.statusCode).toBe(400);
    expect(typeof r.json().error).toBe('string');
  });

  it('prototype poisoning', async () => {
    const r = await raw('{"__proto__": {"inputs": 1}, "inputs": []}');
    expect(r.statusCode).toBe(400);
  });

  it('a body without a JSON content type is refused (415): a web page cannot post it without a preflight', async () => {
    const r = await raw(JSON.stringify(addReq([1, 2, 3])), { 'content-type': 'text/plain' });
    expect(r.statusCode).toBe(415);
  });

  it('oversized body: 413 at the configured limit', async () => {
    const big = JSON.stringify(addReq(new Array(3000).fill(1), [1000, 3]));
    expect(big.length).toBeGreaterThan(4096);
    const r = await raw(big);
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatch(/too large/i);
  });

  it('unknown model or version on the metadata and ready endpoints: 404', async () => {
    for (const [url, message] of [
      ['/v2/models/nope', "unknown model 'nope'"],
      ['/v2/models/nope/ready', "unknown model 'nope'"],
      ['/v2/models/add/versions/7', "model 'add' has no version '7' (only '1')"],
      ['/v2/models/add/versions/7/ready', "model 'add' has no version '7' (only '1')"],
    ]) {
      const r = await app.inject({ method: 'GET', url: url! });
      expect([r.statusCode, r.json()]).toEqual([404, { error: message }]);
    }
  });

  it('unknown route', async () => {
    const r = await app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toMatch(/no route GET \/v2\/nothing/);
  });

  it("the engine's own input check is a 400", async () => {
    const r = await infer('picky', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe("input 'x': value 3000000000 does not fit the device int32");
  });

  it('an engine error is a 500 with its message, and the server keeps serving', async () => {
    const r = await infer('broken', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });
    expect(r.statusCode).toBe(500);
    expect(r.json().error).toBe('Error: kernel exploded');
    expect(engineErrors).toEqual(['POST /v2/models/broken/infer: 500 Error: kernel exploded']);
    expect((await infer('add', addReq([1, 2, 3]))).statusCode).toBe(200);
  });
});

describe('engine slots', () => {
  it('maxConcurrentRuns bounds engine calls in flight; the rest queue and are all answered', async () => {
    let inFlight = 0;
    let most = 0;
    const slow: ServableStore = {
      get: (n) => store.get(n),
      list: () => store.list(),
      load: (n) => store.load(n),
      run: async (n, inputs) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return store.run(n, inputs);
      },
    };
    const s2 = createServer({ store: slow, arena, maxConcurrentRuns: 2, policy: { ...DEFAULT_POLICY, maxBatchSize: 1, instanceCount: 2 } }); // no dynamic batching: one run per request
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => s2.inject({ method: 'POST', url: '/v2/models/add/infer', payload: addReq([i, 0, 0]) })));
    expect(rs.map((r) => r.json().outputs[0].data[0])).toEqual(Array.from({ length: 12 }, (_, i) => i + 0.5));
    expect(most).toBe(2);
    await s2.close();
  });
});

describe('shutdown', () => {
  it('close() answers the requests in flight, then refuses new connections', async () => {
    let entered = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held: ServableStore = {
      get: (n) => store.get(n),
      list: () => store.list(),
      load: (n) => store.load(n),
      run: async (n, inputs) => {
        entered++;
        await gate;
        return store.run(n, inputs);
      },
    };
    const s3 = createServer({ store: held, arena, maxConcurrentRuns: 10, policy: { ...DEFAULT_POLICY, maxBatchSize: 1, instanceCount: 10 } });
    const url = await s3.listen({ port: 0, host: '127.0.0.1' });
    const send = (i: number) =>
      fetch(`${url}/v2/models/add/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(addReq([i, 0, 0])) });
    const pending = Array.from({ length: 10 }, (_, i) => send(i));
    while (entered < 10) await new Promise((r) => setTimeout(r, 5));
    const closed = s3.close();
    release();
    const answers = await Promise.all(pending.map(async (p) => ((await (await p).json()) as { outputs: { data: number[] }[] }).outputs[0]!.data[0]));
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => i + 0.5));
    await closed;
    await expect(send(99)).rejects.toThrow();
  });
});

describe('signed zero', () => {
  it('a -0 result is written as -0, which JSON allows and JSON.stringify would drop', async () => {
    const body = '{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[-0,-0,2.5]},{"name":"y","shape":[1,3],"datatype":"FP32","data":[-0,0,-2.5]}]}';
    const r = await app.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body, headers: { 'content-type': 'application/json' } });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('"data":[-0,0,0]');
    const data = (r.json() as { outputs: { data: number[] }[] }).outputs[0]!.data;
    expect(data.map((v) => Object.is(v, -0))).toEqual([true, false, false]);
  });
});

describe('properties', () => {
  it('any JSON body is answered with a 4xx JSON error, never a 5xx or a 200', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        const r = await app.inject({ method: 'POST', url: '/v2/models/add/infer', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        expect(r.statusCode).toBeGreaterThanOrEqual(400);
        expect(r.statusCode).toBeLessThan(500);
        expect(typeof r.json().error).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('valid requests, flat or nested, any batch, get exactly x + y in float32', async () => {
    const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }).chain((b) => fc.tuple(fc.constant(b), fc.array(f32, { minLength: b * 3, maxLength: b * 3 }), fc.array(f32, { minLength: b * 3, maxLength: b * 3 }), fc.boolean())), async ([b, x, y, nested]) => {
        const shape = [b, 3];
        const form = (v: number[]) => (nested ? Array.from({ length: b }, (_, i) => v.slice(i * 3, i * 3 + 3)) : v);
        const r = await infer('add', { inputs: [{ name: 'x', shape, datatype: 'FP32', data: form(x) }, { name: 'y', shape, datatype: 'FP32', data: form(y) }] });
        expect(r.statusCode).toBe(200);
        // fc.float draws -0, and the request body's JSON.stringify writes it as 0: the server adds +0s, so a zero sum is +0.
        const want = [...new Float32Array(x).map((v, i) => v + Math.fround(y[i]!))].map((v) => (v === 0 ? 0 : v));
        expect(r.json().outputs[0]).toEqual({ name: 'z', datatype: 'FP32', shape, data: want });
      }),
      { numRuns: 200 },
    );
  });
});
