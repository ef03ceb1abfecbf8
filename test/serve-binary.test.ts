// The binary tensor data extension on the real engine: for every datatype
// the engine serves (FP32, INT64, INT32, BOOL), binary inputs give the same
// outputs as JSON inputs, binary outputs carry the same values as JSON
// outputs, both equal a CPU reference; every malformed binary request is a
// 400 and the server keeps answering.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { buildModel } from '../src/onnx/writer.js';
import { createServer } from '../src/serve/server.js';
import { rng, testDevice } from './helpers/gpu.js';

let arena: Arena;
let app: FastifyInstance;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 8 << 20, pageBytes: 64 << 10 });
  const store = new ModelStore(arena);
  store.registerBytes('mixed', buildModel({
    inputs: [
      { name: 'x', type: 'float32', dims: ['batch', 3] },
      { name: 'n', type: 'int64', dims: ['batch', 2] },
      { name: 'k', type: 'int32', dims: ['batch', 2] },
      { name: 'b', type: 'bool', dims: ['batch', 2] },
    ],
    outputs: [
      { name: 'y', type: 'float32', dims: ['batch', 3] },
      { name: 'n2', type: 'int64', dims: ['batch', 2] },
      { name: 'k2', type: 'int32', dims: ['batch', 2] },
      { name: 'nb', type: 'bool', dims: ['batch', 2] },
    ],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['y'] },
      { op: 'Add', inputs: ['n', 'n'], outputs: ['n2'] },
      { op: 'Add', inputs: ['k', 'k'], outputs: ['k2'] },
      { op: 'Not', inputs: ['b'], outputs: ['nb'] },
    ],
  }));
  app = createServer({ store, arena });
}, 60_000);
afterAll(async () => {
  await app?.close();
  arena?.destroy();
});

interface Inputs { x: Float32Array; n: BigInt64Array; k: Int32Array; b: Uint8Array; batch: number }

function inputsOf(batch: number, seed: number): Inputs {
  const r = rng(seed);
  return {
    batch,
    x: Float32Array.from({ length: batch * 3 }, () => r() * 8 - 4),
    n: BigInt64Array.from({ length: batch * 2 }, () => BigInt(Math.floor(r() * 2e6) - 1e6)),
    k: Int32Array.from({ length: batch * 2 }, () => Math.floor(r() * 2e6) - 1e6),
    b: Uint8Array.from({ length: batch * 2 }, () => (r() < 0.5 ? 1 : 0)),
  };
}

const meta = (t: Inputs) => [
  { name: 'x', datatype: 'FP32', shape: [t.batch, 3] },
  { name: 'n', datatype: 'INT64', shape: [t.batch, 2] },
  { name: 'k', datatype: 'INT32', shape: [t.batch, 2] },
  { name: 'b', datatype: 'BOOL', shape: [t.batch, 2] },
];
const raws = (t: Inputs) => [t.x, t.n, t.k, t.b].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

function jsonBody(t: Inputs, extra: Record<string, unknown> = {}) {
  const data = [Array.from(t.x), Array.from(t.n, Number), Array.from(t.k), Array.from(t.b, (v) => v === 1)];
  return JSON.stringify({ inputs: meta(t).map((m, i) => ({ ...m, data: data[i] })), ...extra });
}

function binaryBody(header: unknown, parts: Uint8Array[]): { payload: Buffer; headers: Record<string, string> } {
  const h = Buffer.from(JSON.stringify(header));
  return { payload: Buffer.concat([h, ...parts]), headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(h.length) } };
}

const binaryRequest = (t: Inputs, extra: Record<string, unknown> = {}) =>
  binaryBody({ inputs: meta(t).map((m, i) => ({ ...m, parameters: { binary_data_size: raws(t)[i]!.length } })), ...extra }, raws(t));

const post = (r: { payload: Buffer | string; headers: Record<string, string> }) => app.inject({ method: 'POST', url: '/v2/models/mixed/infer', ...r });

interface Out { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size: number } }

/** A binary response's outputs, each decoded to plain numbers/booleans as JSON would give them. */
function decodeBinaryResponse(body: Buffer, headerLength: number): Out[] {
  const header = JSON.parse(body.subarray(0, headerLength).toString()) as { outputs: Out[] };
  let at = headerLength;
  return header.outputs.map((o) => {
    if (!o.parameters) return o;
    const raw = body.subarray(at, at + o.parameters.binary_data_size);
    at += raw.length;
    const buf = new Uint8Array(raw).buffer;
    const data = o.datatype === 'FP32' ? Array.from(new Float32Array(buf)) : o.datatype === 'INT64' ? Array.from(new BigInt64Array(buf), Number)
      : o.datatype === 'INT32' ? Array.from(new Int32Array(buf)) : Array.from(new Uint8Array(buf), (v) => v === 1);
    return { name: o.name, datatype: o.datatype, shape: o.shape, data };
  });
}

describe('binary tensor data extension', () => {
  it('binary and JSON inputs give identical outputs, equal to the CPU reference, at batch 1 and 5', async () => {
    for (const [batch, seed] of [[1, 3], [5, 4]] as const) {
      const t = inputsOf(batch, seed);
      const viaJson = await post({ payload: jsonBody(t), headers: { 'content-type': 'application/json' } });
      const viaBinary = await post(binaryRequest(t));
      expect(viaJson.statusCode, viaJson.body).toBe(200);
      expect(viaBinary.statusCode, viaBinary.body).toBe(200);
      expect(viaBinary.json()).toEqual(viaJson.json());
      const outs = (viaJson.json() as { outputs: Out[] }).outputs;
      expect(outs.map((o) => o.data)).toEqual([
        Array.from(t.x, (v) => Math.max(0, v)),
        Array.from(t.n, (v) => Number(v * 2n)),
        Array.from(t.k, (v) => v * 2),
        Array.from(t.b, (v) => v === 0),
      ]);
    }
  }, 60_000);

  it('binary outputs (per output and binary_data_output) carry the JSON outputs\' values', async () => {
    const t = inputsOf(4, 9);
    const viaJson = (await post({ payload: jsonBody(t), headers: { 'content-type': 'application/json' } })).json() as { outputs: Out[] };
    const all = await post(binaryRequest(t, { parameters: { binary_data_output: true } }));
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe('application/octet-stream');
    const len = Number(all.headers['inference-header-content-length']);
    expect(decodeBinaryResponse(all.rawPayload, len)).toEqual(viaJson.outputs);
    const some = await post({ payload: jsonBody(t, { outputs: [{ name: 'nb', parameters: { binary_data: true } }, { name: 'y' }] }), headers: { 'content-type': 'application/json' } });
    const outs = decodeBinaryResponse(some.rawPayload, Number(some.headers['inference-header-content-length']));
    expect(outs).toEqual([viaJson.outputs[3], viaJson.outputs[0]]);
  }, 60_000);

  it('every malformed binary request is a 400 naming the fault; the server keeps answering', async () => {
    const t = inputsOf(2, 5);
    const good = binaryRequest(t);
    const h = Number(good.headers['inference-header-content-length']);
    const header = JSON.parse(good.payload.subarray(0, h).toString()) as { inputs: Record<string, unknown>[] };
    const withHeader = (len: string) => ({ payload: good.payload, headers: { ...good.headers, 'inference-header-content-length': len } });
    const sized = (i: number, size: unknown) => binaryBody({ inputs: header.inputs.map((m, j) => (j === i ? { ...m, parameters: { binary_data_size: size } } : m)) }, raws(t));
    const cases: [string, { payload: Buffer | string; headers: Record<string, string> }, RegExp][] = [
      ['length not a number', withHeader('abc'), /must be a byte count/],
      ['negative length', withHeader('-5'), /must be a byte count/],
      ['zero length', withHeader('0'), /JSON header must come first/],
      ['length past the body', withHeader(String(good.payload.length + 1)), /body has/],
      ['length cuts the JSON', withHeader(String(h - 3)), /not a JSON header/],
      ['header not UTF-8', { payload: Buffer.concat([Buffer.from([0xff, 0xfe]), good.payload]), headers: { ...good.headers, 'inference-header-content-length': String(h + 2) } }, /not a JSON header/],
      ['size not a number', sized(0, 'twelve'), /binary_data_size must be a byte count/],
      ['negative size', sized(1, -8), /binary_data_size must be a byte count/],
      ['size past the body', sized(3, 10_000), /runs past the body/],
      ['size wrong for the shape', binaryBody({ inputs: header.inputs.map((m, j) => (j === 0 ? { ...m, parameters: { binary_data_size: 20 } } : m)) }, [raws(t)[0]!.subarray(0, 20), ...raws(t).slice(1)]), /shape needs 6 elements/],
      ['trailing bytes', binaryBody(header, [...raws(t), new Uint8Array(4)]), /after the inputs/],
      ['data and size both', binaryBody({ inputs: header.inputs.map((m, j) => (j === 0 ? { ...m, data: [1, 2, 3, 4, 5, 6] } : m)) }, raws(t)), /either "data" or binary_data_size/],
      ['bool byte not 0/1', binaryBody(header, [...raws(t).slice(0, 3), Uint8Array.from([1, 0, 7, 1])]), /byte 7/],
      ['length given twice', { payload: good.payload, headers: { ...good.headers, 'inference-header-content-length': `${h}, ${h}` } }, /must be a byte count/],
      ['binary_data_output not a boolean', binaryBody({ ...header, parameters: { binary_data_output: 1 } }, raws(t)), /binary_data_output/],
    ];
    for (const [what, req, message] of cases) {
      const r = await post(req);
      expect([what, r.statusCode]).toEqual([what, 400]);
      expect((r.json() as { error: string }).error, what).toMatch(message);
    }
    expect((await post(good)).statusCode).toBe(200);
  }, 60_000);
});
