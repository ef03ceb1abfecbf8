// The KServe v2 GRPCInferenceService of `handover serve --grpc-port 0`, run
// as a user runs it and called with @grpc/grpc-js on the repository's proto:
// health, server and model metadata, and inference (typed contents and raw
// bytes) answer exactly what the HTTP routes answer; errors map to gRPC codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { buildModel } from '../src/onnx/writer.js';
import { protoPath } from '../src/serve/grpc.js';
import { rng } from './helpers/gpu.js';
import { startServe, writeCliEntry, type ServeChild } from './helpers/serve-child.js';

let dir: string;
let s: ServeChild;
type Call = (req: unknown) => Promise<Record<string, unknown>>;
let rpc: Record<string, Call>;
let client: grpc.Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handover-grpc-'));
  const file = join(dir, 'mixed.onnx');
  writeFileSync(file, buildModel({
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }, { name: 'n', type: 'int64', dims: ['batch', 2] }, { name: 'b', type: 'bool', dims: ['batch', 2] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }, { name: 'n2', type: 'int64', dims: ['batch', 2] }, { name: 'nb', type: 'bool', dims: ['batch', 2] }],
    nodes: [{ op: 'Tanh', inputs: ['x'], outputs: ['y'] }, { op: 'Add', inputs: ['n', 'n'], outputs: ['n2'] }, { op: 'Not', inputs: ['b'], outputs: ['nb'] }],
  }));
  writeCliEntry(dir);
  s = await startServe(dir, ['--port', '0', '--grpc-port', '0', '--arena-mb', '8', '--model', `mixed=${file}`]);
  const port = /gRPC listening on 127\.0\.0\.1:(\d+)/.exec(s.stdout())![1];
  const def = protoLoader.loadSync(protoPath(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const Service = (grpc.loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client } }).inference.GRPCInferenceService;
  client = new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  rpc = new Proxy({}, {
    get: (_t, name: string) => (req: unknown) => new Promise((resolve, reject) =>
      (client as unknown as Record<string, (r: unknown, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>)[name]!(req, (e, v) => (e ? reject(e) : resolve(v)))),
  });
}, 120_000);
afterAll(async () => {
  client?.close();
  s?.child.kill('SIGTERM');
  if (s) expect(await s.exit).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

const http = async (path: string, body?: unknown) =>
  (await fetch(`${s.url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;

describe('gRPC GRPCInferenceService', () => {
  it('health and metadata equal HTTP', async () => {
    expect(await rpc.ServerLive!({})).toEqual({ live: true });
    expect(await rpc.ServerReady!({})).toEqual({ ready: true });
    expect(await rpc.ModelReady!({ name: 'mixed' })).toEqual({ ready: true });
    expect(await rpc.ServerMetadata!({})).toEqual(await http('/v2'));
    const meta = await rpc.ModelMetadata!({ name: 'mixed', version: '' });
    const asHttp = { ...meta, inputs: (meta.inputs as { shape: string[] }[]).map((t) => ({ ...t, shape: t.shape.map(Number) })), outputs: (meta.outputs as { shape: string[] }[]).map((t) => ({ ...t, shape: t.shape.map(Number) })) };
    expect(asHttp).toEqual(await http('/v2/models/mixed'));
  }, 60_000);

  it('infer with typed contents and with raw bytes equals HTTP infer', async () => {
    const r = rng(21);
    const x = Float32Array.from({ length: 6 }, () => r() * 4 - 2);
    const n = BigInt64Array.from({ length: 4 }, () => BigInt(Math.floor(r() * 1e9) - 5e8));
    const b = Uint8Array.from({ length: 4 }, () => (r() < 0.5 ? 1 : 0));
    const viaHttp = (await http('/v2/models/mixed/infer', { id: 'q1', inputs: [
      { name: 'x', datatype: 'FP32', shape: [2, 3], data: Array.from(x) },
      { name: 'n', datatype: 'INT64', shape: [2, 2], data: Array.from(n, Number) },
      { name: 'b', datatype: 'BOOL', shape: [2, 2], data: Array.from(b, (v) => v === 1) },
    ] })) as { outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[] };
    const meta = [{ name: 'x', datatype: 'FP32', shape: [2, 3] }, { name: 'n', datatype: 'INT64', shape: [2, 2] }, { name: 'b', datatype: 'BOOL', shape: [2, 2] }];
    const typed = await rpc.ModelInfer!({ model_name: 'mixed', id: 'q1', inputs: [
      { ...meta[0], contents: { fp32_contents: Array.from(x) } },
      { ...meta[1], contents: { int64_contents: Array.from(n, String) } },
      { ...meta[2], contents: { bool_contents: Array.from(b, (v) => v === 1) } },
    ] });
    const raw = await rpc.ModelInfer!({ model_name: 'mixed', id: 'q1', inputs: meta, raw_input_contents: [x, n, b].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)) });
    for (const res of [typed, raw]) {
      expect([res.model_name, res.id]).toEqual(['mixed', 'q1']);
      const outs = res.outputs as { name: string; datatype: string; shape: string[] }[];
      const bytes = res.raw_output_contents as Buffer[];
      const decoded = outs.map((o, i) => {
        const buf = new Uint8Array(bytes[i]!).buffer;
        const data = o.datatype === 'FP32' ? Array.from(new Float32Array(buf)) : o.datatype === 'INT64' ? Array.from(new BigInt64Array(buf), Number) : Array.from(new Uint8Array(buf), (v) => v === 1);
        return { name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data };
      });
      expect(decoded).toEqual(viaHttp.outputs);
    }
  }, 60_000);

  it('errors map to gRPC codes; the repository answers', async () => {
    await expect(rpc.ModelInfer!({ model_name: 'nope', inputs: [] })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(rpc.ModelInfer!({ model_name: 'mixed', inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 3], contents: {} }] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/FP16/) });
    await expect(rpc.ModelInfer!({ model_name: 'mixed', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }], raw_input_contents: [Buffer.alloc(5)] })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    // uint64 fields come as decimal strings (longs: String)
    const stats = ((await rpc.ModelStatistics!({ name: 'mixed' })).model_stats as Record<string, unknown>[])[0]!;
    const httpStats = ((await http('/v2/models/mixed/stats')).model_stats as Record<string, unknown>[])[0]!;
    expect(JSON.parse(JSON.stringify(stats, (k, v: unknown) => (k !== 'version' && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)))).toEqual(httpStats);
    expect(httpStats).toMatchObject({ inference_count: 6, execution_count: 3 }); // the test above: 3 requests (HTTP, typed, raw) of 2 rows each
    expect(await rpc.RepositoryIndex!({})).toEqual({ models: [{ name: 'mixed', version: '1', state: 'READY', reason: '' }] });
  }, 60_000);
});
