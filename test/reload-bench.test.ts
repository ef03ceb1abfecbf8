// The reload bench (src/eval/reload-bench.ts) on a real model: one row per
// file with every path timed (staged writes, the upload from host weights, a
// pipelined cold start, a warm run), the host weights freed after, and the
// table the device script prints. Times are not compared (device speed).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reloadBench, reloadTable } from '../src/eval/reload-bench.js';
import { parseModel } from '../src/onnx/loader.js';
import { testDevice } from './helpers/gpu.js';

describe('reload bench', () => {
  it('times each path for squeezenet1_1 and leaves no host weights behind', async () => {
    const dev = await testDevice();
    const before = dev.hostBufferBytes;
    const onnx = new Uint8Array(readFileSync(new URL('./fixtures/squeezenet1_1.onnx', import.meta.url)));
    const [row, ...rest] = await reloadBench(dev, [{ name: 'squeezenet1_1', onnx }], 256 << 10, 2);
    expect(rest).toEqual([]);
    expect(row!.model).toBe('squeezenet1_1');
    expect(row!.bytes).toBeGreaterThan(4 << 20); // 1.2 M parameters
    expect(row!.tensors).toBe(parseModel(onnx, 'squeezenet1_1').initializers.size);
    for (const k of ['stagedMs', 'uploadMs', 'coldMs', 'coldP90Ms', 'execMs'] as const) expect(row![k], k).toBeGreaterThan(0);
    expect(row!.coldP90Ms).toBeGreaterThanOrEqual(row!.coldMs);
    expect(dev.hostBufferBytes).toBe(before);
    const table = reloadTable([row!]);
    expect(table.split('\n')).toHaveLength(3);
    expect(table).toContain('| squeezenet1_1 | 4.');
  });
});
