// The HTTP fuzzer: >= 500 seeded requests of 23 kinds (helpers/http-fuzz.ts)
// against a real server on loopback, serving two real models on the test
// device, behind the guard (API key, Host check, content types, JSON depth).
// Counted and asserted: 0 crashes (connection errors), 0 hangs, 0 5xx for a
// client's error, 0 wrong 200s (a 200 for a bad request, or a 200 with wrong
// numbers), 0 refusals of valid requests, 0 error bodies that echo more than a
// bounded prefix of the input or show a stack trace.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { ModelStore } from '../src/infer/store.js';
import { buildModel } from '../src/onnx/writer.js';
import { fromValues } from '../src/onnx/tensor.js';
import { createServer } from '../src/serve/server.js';
import { testDevice } from './helpers/gpu.js';
import { API_KEY, embedTable, FUZZ_KIND_COUNT, fuzzCases, VOCAB, WIDTH, type FuzzCase } from './helpers/http-fuzz.js';

const SEED = 20;
const CASES = FUZZ_KIND_COUNT * 23;
/** No answer within this long is a hang (a valid request here runs in milliseconds). */
const HANG_MS = 20_000;
/** An error body longer than this echoes the input. */
const MAX_ERROR_BODY = 1000;

let arena: Arena;
let store: ModelStore;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 8 << 20, pageBytes: 64 << 10 });
  store = new ModelStore(arena);
  store.registerBytes('add', buildModel({
    nodes: [{ op: 'Add', inputs: ['x', 'y'], outputs: ['z'] }],
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }, { name: 'y', type: 'float32', dims: ['batch', 3] }],
    outputs: [{ name: 'z', type: 'float32', dims: ['batch', 3] }],
  }));
  store.registerBytes('embed', buildModel({
    nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['y'] }],
    inputs: [{ name: 'ids', type: 'int64', dims: ['batch', 3] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3, WIDTH] }],
    initializers: { table: fromValues('float32', [VOCAB, WIDTH], embedTable()) },
  }));
  await store.load('add');
  await store.load('embed');
  app = createServer({ store, arena, bodyLimit: 1 << 20, guard: { host: '127.0.0.1', apiKey: API_KEY } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app?.close();
  for (const m of store?.list() ?? []) if (m.state === 'warm') await store.unload(m.name);
  arena?.destroy();
});

interface Answer {
  status: number;
  body: string;
  error?: string;
}

function send(c: FuzzCase): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { host: `127.0.0.1:${port}`, ...c.headers };
    if (c.body !== undefined) headers['content-length'] = Buffer.byteLength(c.body);
    const req = request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers, timeout: HANG_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    });
    req.on('timeout', () => (req.destroy(), resolve({ status: -1, body: '', error: 'timeout' })));
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    req.end(c.body);
  });
}

describe('HTTP fuzzing a real server on loopback', () => {
  it(`${CASES} seeded requests: no crash, no hang, no 5xx for a client's error, no wrong 200, no echo`, async () => {
    const cases = fuzzCases(SEED, CASES);
    const counts = { cases: cases.length, ok: 0, refused: 0, crashes: 0, hangs: 0, serverErrors: 0, wrong200s: 0, wrongRefusals: 0, echoes: 0, stacks: 0 };
    const problems: string[] = [];
    const statuses = new Map<string, Map<number, number>>();
    const queue = cases.map((c, i) => [c, i] as const);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [c, i] = next;
        const a = await send(c);
        const seen = statuses.get(c.kind) ?? new Map<number, number>();
        seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
        statuses.set(c.kind, seen);
        const note = (what: string) => problems.push(`#${i} ${c.kind}: ${what}: ${a.status} ${a.error ?? a.body.slice(0, 200)}`);
        if (a.status === 0) (counts.crashes++, note('crash'));
        else if (a.status === -1) (counts.hangs++, note('hang'));
        else if (a.status >= 500) (counts.serverErrors++, note('5xx'));
        else if (c.expect === 'client') {
          if (a.status < 400) (counts.wrong200s++, note('answered a bad request'));
          else counts.refused++;
          if (a.body.length > MAX_ERROR_BODY) (counts.echoes++, note(`error body of ${a.body.length} characters`));
          if (/\n\s+at .+:\d+:\d+/.test(a.body)) (counts.stacks++, note('stack trace'));
        } else if (a.status !== 200) (counts.wrongRefusals++, note('refused a valid request'));
        else if (!c.check!(JSON.parse(a.body))) (counts.wrong200s++, note('wrong numbers'));
        else counts.ok++;
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    console.log(`HTTP fuzz (seed ${SEED}): ${JSON.stringify(counts)}`);
    console.log([...statuses].map(([k, m]) => `  ${k}: ${[...m].map(([s, n]) => `${n}x${s}`).join(' ')}`).join('\n'));
    expect(problems).toEqual([]);
    expect(counts).toMatchObject({ crashes: 0, hangs: 0, serverErrors: 0, wrong200s: 0, wrongRefusals: 0, echoes: 0, stacks: 0 });
    expect(counts.cases).toBeGreaterThanOrEqual(500);
    expect(statuses.size).toBe(FUZZ_KIND_COUNT);
    expect(counts.ok).toBeGreaterThan(0);
  }, 120_000);
});
