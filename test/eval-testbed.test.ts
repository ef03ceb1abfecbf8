// The evaluation's model instances: MLPs made in code, or ONNX files duplicated.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import { architectureLabel, DEFAULT_TESTBED, modelInstances } from '../src/eval/testbed.js';

describe('model instances', () => {
  it('duplicates ONNX files to the instance count with batch-1 random inputs of the graph input shape', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handover-testbed-'));
    const a = join(dir, 'wide.onnx');
    const b = join(dir, 'narrow.onnx');
    writeFileSync(a, mlpOnnx({ sizes: [12, 40, 5], seed: 3, name: 'wide' }));
    writeFileSync(b, mlpOnnx({ sizes: [7, 9, 3], seed: 4, name: 'narrow' }));
    const spec = { ...DEFAULT_TESTBED, modelFiles: [a, b], models: 5 };
    const inst = modelInstances(spec);
    expect(inst.map((m) => m.name)).toEqual(['wide-0', 'narrow-1', 'wide-2', 'narrow-3', 'wide-4']);
    expect(inst.map((m) => m.architecture)).toEqual([0, 1, 0, 1, 0]);
    const x = Object.values(inst[1]!.input)[0]!;
    expect(x.dims).toEqual([1, 7]);
    const data = Array.from(x.data as Float32Array);
    expect(data.every((v) => v >= -1 && v < 1)).toBe(true);
    expect(new Set(data).size).toBeGreaterThan(1);
    expect(architectureLabel(spec, 1)).toBe('narrow.onnx');
    expect(architectureLabel(DEFAULT_TESTBED, 0)).toBe('MLP 64-256-256-10');
  });
  it('says which file is missing', () => {
    expect(() => modelInstances({ ...DEFAULT_TESTBED, modelFiles: ['/nonexistent/x.onnx'] })).toThrow(/model file not found: \/nonexistent\/x.onnx/);
  });
});
