// `handover serve` hardened, as a user runs it: a bad model among good ones
// is reported and left out (the server still starts), --api-key guards every
// request, binding beyond loopback without a key is refused, and SIGTERM
// drains and exits 0.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../src/onnx/writer.js';
import { fromValues } from '../src/onnx/tensor.js';
import { run } from '../src/cli/main.js';
import { startServe, writeCliEntry } from './helpers/serve-child.js';

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handover-serve-harden-'));
  writeFileSync(file('relu.onnx'), buildModel({
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  }));
  writeFileSync(file('pool0.onnx'), buildModel({
    inputs: [{ name: 'x', type: 'float32', dims: [1, 1, 4, 4] }],
    outputs: [{ name: 'y', type: 'float32' }],
    nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [0, 0] } }],
  }));
  writeFileSync(file('huge.onnx'), buildModel({
    inputs: [], outputs: [{ name: 'y', type: 'float32' }],
    nodes: [{ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }],
    initializers: { s: fromValues('int64', [2], [1e6, 1e6]) },
  }));
  writeFileSync(file('garbage.onnx'), Uint8Array.from({ length: 999 }, (_, i) => (i * 37) & 255));
  writeCliEntry(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('handover serve, hardened', () => {
  it('leaves bad models out, serves the good one behind the API key, drains on SIGTERM', async () => {
    const s = await startServe(dir, [
      '--backend', 'webgpu', '--port', '0', '--arena-mb', '8', '--api-key', 'k-0123456789', '--drain-s', '5',
      '--model', `pool0=${file('pool0.onnx')}`, '--model', `relu=${file('relu.onnx')}`, '--model', `huge=${file('huge.onnx')}`, '--model', `junk=${file('garbage.onnx')}`,
    ]);
    expect(s.stderr()).toMatch(/model pool0: left out: ModelError: .*kernel_shape \[0,0\] must hold positive integers/);
    expect(s.stderr()).toMatch(/model huge: left out: SizeLimitError: .*above the limit/);
    expect(s.stderr()).toMatch(/model junk: left out: ModelError/);
    const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [-1, 2, -3] }] });
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(`${s.url}/v2/models/relu/infer`, { method: 'POST', headers, body })).status).toBe(401);
    const ok = await fetch(`${s.url}/v2/models/relu/infer`, { method: 'POST', headers: { ...headers, authorization: 'Bearer k-0123456789' }, body });
    expect(await ok.json()).toMatchObject({ outputs: [{ name: 'y', data: [0, 2, 0] }] });
    const gone = await fetch(`${s.url}/v2/models/pool0`, { headers: { authorization: 'Bearer k-0123456789' } });
    expect(gone.status).toBe(404);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  }, 120_000);

  it('refuses to bind beyond loopback without an API key, and a run where no model loads (exit 2)', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await run(['serve', '--host', '0.0.0.0', '--model', `relu=${file('relu.onnx')}`])).toBe(2);
    expect(await run(['serve', '--port', '0', '--arena-mb', '4', '--model', `pool0=${file('pool0.onnx')}`])).toBe(2);
    const lines = errors.mock.calls.map((c) => String(c[0]));
    expect(lines[0]).toMatch(/exposes the server beyond this machine: give --api-key/);
    expect(lines).toContain('model pool0: left out: ModelError: node \'MaxPool_0\' (MaxPool): kernel_shape [0,0] must hold positive integers');
    expect(lines.at(-1)).toMatch(/no model could be loaded/);
    errors.mockRestore();
  });
});
