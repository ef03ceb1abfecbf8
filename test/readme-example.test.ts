// The README's "Use it from your own program" example, run as it is written
// there: the block is taken from README.md, its `from 'handover'` pointed at
// src/index.ts and its model file at an ONNX MLP written for the test; what it
// prints must be the model's answer (checked against onnxruntime) and the
// scheduler's decisions (a require from training, then the load).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mlpOnnx } from '../src/colocate/mlp-model.js';

function exampleBlock(): string {
  const readme = readFileSync('README.md', 'utf8');
  const at = readme.indexOf('## Use it from your own program');
  expect(at, 'README has the section').toBeGreaterThan(0);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(m, 'the section has a ts block').not.toBeNull();
  return m![1]!;
}

describe('the README example', () => {
  it('colocates a user ONNX model with training and answers as onnxruntime does', async () => {
    const code = exampleBlock();
    expect(code).toContain("from 'handover'");
    expect(code).toContain("'my-model.onnx'");
    const dir = mkdtempSync(join(tmpdir(), 'handover-readme-'));
    const model = mlpOnnx({ sizes: [64, 48, 10], seed: 9, name: 'mine' });
    const modelFile = join(dir, 'my-model.onnx');
    writeFileSync(modelFile, model);
    // Beside the tests, so vitest transforms it like any other TypeScript file here.
    const program = resolve(`test/.readme-example-${process.pid}.ts`);
    writeFileSync(program, code.replace("from 'handover'", `from ${JSON.stringify(pathToFileURL(resolve('src/index.ts')).href)}`).replace("'my-model.onnx'", JSON.stringify(modelFile)));
    const lines: unknown[][] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a);
    try {
      await import(pathToFileURL(program).href);
    } finally {
      console.log = log;
      rmSync(program, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines).toHaveLength(2);
    const [path, data] = lines[0] as [string, Float32Array];
    expect(path).toBe('train'); // the memory came from training
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(model);
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const want = (await session.run({ input: new ort.Tensor('float32', x, [1, 64]) })).output!.data as Float32Array;
    expect(data).toHaveLength(10);
    data.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5));
    expect(lines[1]![0]).toMatch(/^(discard )?(require )+load$/); // a require that lands mid micro-batch discards it first; a watermark refill may add a second
  }, 120_000);
});
