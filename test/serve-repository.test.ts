// `handover serve --model-repository DIR` as a user runs it: a Triton-style
// folder (highest version served, config.pbtxt / config.json read), and the
// repository extension's index / unload / load round trip, including a model
// added to the folder while the server runs; names that could be paths are
// refused.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../src/cli/main.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../src/onnx/writer.js';
import { configPolicy, parseConfigPbtxt } from '../src/serve/model-config.js';
import { DEFAULT_POLICY } from '../src/serve/model-policy.js';
import { scanRepository } from '../src/serve/repository.js';
import { startServe, writeCliEntry, type ServeChild } from './helpers/serve-child.js';

let dir: string;
let repo: string;

const unary = (op: string) => buildModel({
  inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }],
  outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }],
  nodes: [{ op, inputs: ['x'], outputs: ['y'] }],
});

function addModel(name: string, version: number, op: string): void {
  mkdirSync(join(repo, name, String(version)), { recursive: true });
  writeFileSync(join(repo, name, String(version), 'model.onnx'), unary(op));
}

const PBTXT = `name: "relu"  # Triton's fields; unknown ones are skipped
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 3 ] } ]
dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 500 }
instance_group [ { count: 2 kind: KIND_GPU } ]
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handover-repo-'));
  repo = join(dir, 'models');
  addModel('relu', 1, 'Neg');
  addModel('relu', 3, 'Relu'); // the highest version is served
  writeFileSync(join(repo, 'relu', 'config.pbtxt'), PBTXT);
  addModel('tanh', 1, 'Tanh');
  writeFileSync(join(repo, 'tanh', 'config.json'), JSON.stringify({ max_batch_size: 4 }));
  mkdirSync(join(repo, 'empty'));
  writeCliEntry(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model configs', () => {
  it('config.pbtxt and config.json give the batching policy; no dynamic_batching means no batching', () => {
    expect(configPolicy(parseConfigPbtxt(PBTXT, 'c'), DEFAULT_POLICY, 'c')).toMatchObject({ maxBatchSize: 8, preferredBatchSizes: [2, 4], maxQueueDelayMs: 0.5, instanceCount: 2 });
    const entries = scanRepository(repo, DEFAULT_POLICY);
    expect(entries.map((e) => [e.name, e.version, e.policy?.maxBatchSize])).toEqual([['relu', '3', 8], ['tanh', '1', 1]]);
    expect(() => configPolicy(parseConfigPbtxt('max_batch_size: 2 dynamic_batching { preferred_batch_size: [ 4 ] }', 'bad'), DEFAULT_POLICY, 'bad')).toThrow(/bad: preferredBatchSizes/);
    expect(() => parseConfigPbtxt('dynamic_batching { max_batch_size: ', 'cut')).toThrow(/cut: unexpected end/);
  });

  it('a missing repository folder or a bad batching flag is a one-line usage error (exit 2)', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run(['serve', '--model-repository', join(dir, 'no-such')])).toBe(2);
    expect(await run(['serve', '--model-repository', repo, '--max-batch', '0'])).toBe(2);
    expect(await run(['serve', '--model-repository', repo, '--max-queue-delay-ms', '-1'])).toBe(2);
    expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([
      `handover serve: model repository ${join(dir, 'no-such')}: is not a folder (handover serve --help)`,
      'handover serve: --max-batch must be an integer in 1..65536, got 0 (handover serve --help)',
      'handover serve: --max-queue-delay-ms must be a number in 0..60000, got -1 (handover serve --help)',
    ]);
    errors.mockRestore();
  });
});

describe('the repository extension on handover serve --model-repository', () => {
  let s: ServeChild;
  const post = (path: string, body?: unknown) =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? '{}' : JSON.stringify(body) });
  const infer = (model: string) => post(`/v2/models/${model}/infer`, { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [-1, 0.5, 2] }] });

  it('index, unload, load, a model added while running; stats count the requests', async () => {
    s = await startServe(dir, ['--port', '0', '--arena-mb', '8', '--model-repository', repo]);
    try {
      expect(s.stderr()).toMatch(/skipping 'empty'/);
      expect(await (await post('/v2/repository/index')).json()).toEqual([
        { name: 'relu', version: '3', state: 'READY', reason: '' },
        { name: 'tanh', version: '1', state: 'READY', reason: '' },
      ]);
      expect(((await (await infer('relu')).json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([0, 0.5, 2]);

      expect((await post('/v2/repository/models/relu/unload')).status).toBe(200);
      expect((await (await post('/v2/repository/index')).json())[0]).toEqual({ name: 'relu', version: '3', state: 'UNAVAILABLE', reason: 'unloaded' });
      const refused = await infer('relu');
      expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([400, expect.stringMatching(/unloaded/)]);
      expect((await fetch(`${s.url}/v2/models/relu/ready`)).status).toBe(400);

      expect((await post('/v2/repository/models/relu/load')).status).toBe(200);
      expect((await infer('relu')).status).toBe(200);
      expect((await fetch(`${s.url}/v2/models/relu/ready`)).status).toBe(200);

      addModel('late', 2, 'Abs');
      expect((await (await post('/v2/repository/index')).json())).toContainEqual({ name: 'late', version: '2', state: 'UNAVAILABLE', reason: 'not loaded' });
      expect((await infer('late')).status).toBe(404);
      expect((await post('/v2/repository/models/late/load')).status).toBe(200);
      expect(((await (await infer('late')).json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([1, 0.5, 2]);

      expect((await post('/v2/repository/models/..%2F..%2Fetc/load')).status).toBe(400);
      expect((await post('/v2/repository/models/nope/load')).status).toBe(404);
      expect((await post('/v2/repository/models/nope/unload')).status).toBe(404);

      const stats = (await (await fetch(`${s.url}/v2/models/relu/stats`)).json()) as { model_stats: { inference_count: number; inference_stats: { success: { count: number } } }[] };
      expect(stats.model_stats[0]!.inference_count).toBe(2); // the refused request was never admitted
      expect(stats.model_stats[0]!.inference_stats.success.count).toBe(2);
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  }, 120_000);
});
