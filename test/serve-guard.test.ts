// The server's guard (src/serve/guard.ts) on a real loopback server with a
// CPU double of the store: Host check, API key, CORS, JSON depth, request
// timeout, connection cap, and drain on shutdown.
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { UsageError } from '../src/core/errors.js';
import type { ModelInfo, ServableStore, TensorData } from '../src/serve/engine.js';
import { checkExposure, drain, jsonDepth, type GuardOptions } from '../src/serve/guard.js';
import { guardOptionsFromFlags } from '../src/serve/guard-flags.js';
import { createServer } from '../src/serve/server.js';
import { HostRemapDevice } from './helpers/host-device.js';

/** 'id' returns x; each run waits for `gate` when one is set (a request held in flight). */
class HeldStore implements ServableStore {
  gate: Promise<void> | null = null;
  started = 0;
  private readonly info: ModelInfo = { name: 'id', file: 'id.onnx', bytes: 4096, state: 'warm', lastUsed: 0, loadMs: 1, inputs: [{ name: 'x', type: 'float32', dims: [1] }], outputs: [{ name: 'x', type: 'float32', dims: [1] }] };
  async load(): Promise<ModelInfo> {
    return this.info;
  }
  async run(_name: string, inputs: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    this.started++;
    if (this.gate) await this.gate;
    return { x: inputs.x! };
  }
  get(name: string): ModelInfo | undefined {
    return name === 'id' ? this.info : undefined;
  }
  list(): ModelInfo[] {
    return [this.info];
  }
}

const BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [2.5] }] });
let app: FastifyInstance | null = null;
let store: HeldStore;

async function start(guard: GuardOptions): Promise<number> {
  store = new HeldStore();
  const arena = new Arena(new HostRemapDevice(4096, false), { bytes: 1 << 16, pageBytes: 4096 });
  app = createServer({ store, arena, guard: { host: '127.0.0.1', ...guard } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

afterEach(async () => {
  await app?.close();
  app = null;
});

function send(port: number, headers: Record<string, string>, body = BODY, method = 'POST', path = '/v2/models/id/infer'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

const closed = (s: Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.on('close', () => r())));

describe('Host header (DNS rebinding)', () => {
  it('IP literals and localhost pass; other names need --allowed-hosts', async () => {
    const port = await start({ allowedHosts: ['models.internal'] });
    const statusFor = async (host: string) => (await send(port, { host })).status;
    expect(await statusFor(`127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor(`localhost:${port}`)).toBe(200);
    expect(await statusFor(`[::1]:${port}`)).toBe(200);
    expect(await statusFor('MODELS.internal:8000')).toBe(200);
    const r = await send(port, { host: `rebind.attacker.example:${port}` });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toMatch(/--allowed-hosts rebind\.attacker\.example/);
  });
});

describe('API key', () => {
  it('every request needs the bearer token; a wrong one is 401 with WWW-Authenticate', async () => {
    const port = await start({ apiKey: 'k-0123456789' });
    expect((await send(port, { authorization: 'Bearer k-0123456789' })).status).toBe(200);
    for (const auth of [undefined, 'Bearer k-012345678', 'Bearer k-0123456789x', 'k-0123456789']) {
      const r = await send(port, auth ? { authorization: auth } : {});
      expect([r.status, r.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    }
    expect((await send(port, {}, '', 'GET', '/v2/health/ready')).status).toBe(401);
  });

  it('binding beyond loopback without a key is a usage error; loopback needs none', () => {
    expect(() => checkExposure({ host: '0.0.0.0' })).toThrow(UsageError);
    expect(() => checkExposure({ host: '10.1.2.3', apiKey: 'short' })).toThrow(/at least 8/);
    expect(() => checkExposure({ host: '0.0.0.0', apiKey: 'long-enough-key' })).not.toThrow();
    expect(() => checkExposure({ host: '127.0.0.1' })).not.toThrow();
    expect(() => checkExposure({ host: '::1' })).not.toThrow();
    const flags = { 'allowed-hosts': [], 'cors-origin': [], 'max-connections': 0, 'request-timeout-s': 30, 'drain-s': 10 };
    expect(() => guardOptionsFromFlags(flags, '127.0.0.1')).toThrow(/--max-connections/);
    expect(() => guardOptionsFromFlags({ ...flags, 'max-connections': 8, 'drain-s': -1 }, '127.0.0.1')).toThrow(/--drain-s/);
    const ok = { ...flags, 'max-connections': 8 };
    expect(() => guardOptionsFromFlags(ok, '0.0.0.0', {})).toThrow(/--api-key/);
    expect(guardOptionsFromFlags(ok, '0.0.0.0', { HANDOVER_API_KEY: 'from-the-env-1' }).apiKey).toBe('from-the-env-1');
    expect(guardOptionsFromFlags({ ...ok, 'api-key': 'from-the-flag-1' }, '0.0.0.0', { HANDOVER_API_KEY: 'from-the-env-1' }).apiKey).toBe('from-the-flag-1');
  });
});

describe('CORS', () => {
  it('off by default: no Access-Control headers, a preflight is not answered', async () => {
    const port = await start({});
    const r = await send(port, { origin: 'https://page.example' });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await send(port, { origin: 'https://page.example', 'access-control-request-method': 'POST' }, '', 'OPTIONS');
    expect(pre.status).toBeGreaterThanOrEqual(400);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('on for the given origins only', async () => {
    const port = await start({ corsOrigins: ['https://app.example'] });
    const pre = await send(port, { origin: 'https://app.example', 'access-control-request-method': 'POST' }, '', 'OPTIONS');
    expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, 'https://app.example']);
    expect((await send(port, { origin: 'https://other.example' })).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('JSON depth', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonDepth('{"a":[[1]],"b":"[[[[[[","c":"\\"[[["}')).toBe(3);
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('['.repeat(1000), 10)).toBe(11);
  });
});

describe('connections', () => {
  it('a body that never finishes is cut at the request timeout', async () => {
    const port = await start({ requestTimeoutMs: 300 });
    const s = await open(port);
    let answer = '';
    s.on('data', (d: Buffer) => (answer += d.toString()));
    s.write(`POST /v2/models/id/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs":`);
    await closed(s);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('connections beyond the cap are refused', async () => {
    const port = await start({ maxConnections: 2 });
    const held = [await open(port), await open(port)];
    const third = await open(port);
    await closed(third);
    expect(held.every((s) => !s.destroyed)).toBe(true);
    held.forEach((s) => s.destroy());
  });

  it('drain lets a request in flight finish, then closes', async () => {
    const port = await start({});
    let release!: () => void;
    store.gate = new Promise<void>((r) => (release = r));
    const answer = send(port, {});
    while (store.started === 0) await new Promise((r) => setTimeout(r, 5));
    const draining = drain(app!, 60_000);
    release();
    const r = await answer;
    expect([r.status, JSON.parse(r.body).outputs[0].data]).toEqual([200, [2.5]]);
    expect(await draining).toEqual({ cut: 0 });
    app = null;
  });

  it('drain closes what is still open at the deadline (a slow body)', async () => {
    const port = await start({});
    const s = await open(port);
    s.write(`POST /v2/models/id/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs":`);
    await new Promise((r) => setTimeout(r, 50));
    const { cut } = await drain(app!, 200);
    await closed(s);
    expect(cut).toBe(1);
    app = null;
  });
});
