// `handover serve` as a user runs it: a child process that loads a model,
// prints its address, answers over HTTP, and exits 0 on SIGTERM and SIGINT.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../src/onnx/writer.js';
import { parseModelArgs } from '../src/cli/serve-cmd.js';
import { run } from '../src/cli/main.js';
import { startServe, writeCliEntry } from './helpers/serve-child.js';

let dir: string;
let modelFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handover-serve-cli-'));
  modelFile = join(dir, 'relu.onnx');
  writeFileSync(
    modelFile,
    buildModel({
      inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }],
      outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }],
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    }),
  );
  writeCliEntry(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('handover serve', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    it(`serves a model and shuts down cleanly on ${signal}`, async () => {
      const s = await startServe(dir, ['--backend', 'webgpu', '--port', '0', '--host', '127.0.0.1', '--arena-mb', '8', '--model', `relu=${modelFile}`]);
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
      const res = await fetch(`${s.url}/v2/models/relu/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [[-1, 0.5, 2], [3, -4, 0.25]] }] }),
      });
      expect(await res.json()).toMatchObject({ model_name: 'relu', outputs: [{ name: 'y', shape: [2, 3], data: [0, 0.5, 2, 3, 0, 0.25] }] });
      s.child.kill(signal);
      expect(await s.exit).toBe(0);
      expect(s.stderr()).toContain(`${signal}; closing`);
    });

  it('rejects bad --model flags with a usage error (exit 2)', async () => {
    expect(() => parseModelArgs([])).toThrow(/at least one --model/);
    expect(() => parseModelArgs(['noequals'])).toThrow(/NAME=FILE/);
    expect(() => parseModelArgs([`a=${modelFile}`, `a=${modelFile}`])).toThrow(/given twice/);
    expect(() => parseModelArgs([`bad/name=${modelFile}`])).toThrow(/may hold only/);
    expect(() => parseModelArgs(['a=/no/such/file.onnx'])).toThrow(/does not exist/);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run(['serve', '--model', 'a=/no/such/file.onnx'])).toBe(2);
    expect(await run(['serve', '--port', '70000', '--model', `a=${modelFile}`])).toBe(2);
    expect(await run(['serve', '--model', `a=${modelFile}`, '--max-runs', '0'])).toBe(2);
    expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([
      "handover serve: model file (for 'a') '/no/such/file.onnx' does not exist; give the path of an existing file (handover serve --help)",
      'handover serve: --port must be an integer in 0..65535, got 70000 (handover serve --help)',
      'handover serve: --max-runs must be an integer in 1..1024, got 0 (handover serve --help)',
    ]);
    errors.mockRestore();
  });
});
