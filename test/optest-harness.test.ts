// The conformance harness itself, without a GPU or the tables: JSONC parsing,
// table checks and ids, one-node models through the writer and loader, the
// comparison rule, and the suite list check in both directions.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../src/onnx/loader.js';
import { firstMismatch } from '../src/optest/compare.js';
import { OpTableFormatError, UnsupportedTestError } from '../src/optest/errors.js';
import { parseJsonc } from '../src/optest/jsonc.js';
import { caseModel, DEFAULT_OPSET, testUnsupported } from '../src/optest/model.js';
import { runTest, type TestResult } from '../src/optest/runner.js';
import type { ModelStore } from '../src/infer/store.js';
import { checkSuite } from '../src/optest/suite.js';
import { readTable, type OpTest } from '../src/optest/table.js';

const dir = mkdtempSync(join(tmpdir(), 'handover-optest-'));

function table(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const f32 = (data: number[], dims: number[]) => ({ type: 'float32', data, dims });

describe('JSONC', () => {
  it('drops line and block comments and trailing commas, but not inside strings', () => {
    const v = parseJsonc('[ // a list\n { "a": "x // not a comment, ]", /* b */ "b": [1, 2, /* c */ ], }, ]');
    expect(v).toEqual([{ a: 'x // not a comment, ]', b: [1, 2] }]);
  });
});

describe('operator tables', () => {
  it('gives repeated test names distinct ids', () => {
    const test = { name: 'T', operator: 'Relu', attributes: [], cases: [{ name: 'c', inputs: [f32([1], [1])], outputs: [f32([1], [1])] }] };
    const file = table('dup.jsonc', JSON.stringify([test, test, { ...test, name: 'U' }]));
    expect(readTable(file).map((t) => t.id)).toEqual(['dup.jsonc: T', 'dup.jsonc: T #2', 'dup.jsonc: U']);
  });

  it('rejects a table whose data does not fill its dims, naming the test and case', () => {
    const file = table('bad.jsonc', JSON.stringify([{ name: 'T', operator: 'Relu', cases: [{ name: 'c', inputs: [f32([1, 2], [3])], outputs: [] }] }]));
    expect(() => readTable(file)).toThrow(OpTableFormatError);
    expect(() => readTable(file)).toThrow(/test 'T', case 'c': inputs\[0\] holds 2 values; dims \[3\] need 3/);
  });
});

const opTest = (over: Partial<OpTest>): OpTest => ({ id: 'x.jsonc: t', file: 'x.jsonc', name: 't', operator: 'Relu', attributes: [], cases: [], ...over });

describe('one-node models', () => {
  it('writes data inputs as graph inputs and host-read inputs (Reshape shape) as initializers', () => {
    const t = opTest({ operator: 'Reshape' });
    const m = caseModel(t, { name: 'c', inputs: [f32([1, 2, 3, 4], [2, 2]), { type: 'int64', data: [-1], dims: [1] }], outputs: [f32([1, 2, 3, 4], [4])] });
    const g = parseModel(m.bytes);
    expect(g.opset).toBe(DEFAULT_OPSET);
    expect(g.inputs.map((i) => [i.name, i.type, i.dims])).toEqual([['input_0', 'float32', [2, 2]]]);
    expect([...g.initializers.keys()]).toEqual(['input_1']);
    expect(Object.keys(m.feeds)).toEqual(['input_0']);
    expect(g.nodes[0]!.op).toBe('Reshape');
  });

  it('says why a test cannot run: a foreign domain, a missing op, a type the engine lacks', () => {
    expect(testUnsupported(opTest({ opset: { domain: 'com.ms.internal.nhwc', version: 12 } }))).toMatch(/ONNX Runtime-internal/);
    expect(testUnsupported(opTest({ operator: 'NoSuchOp' }))).toBe('op NoSuchOp has no kernel in this engine');
    expect(() => caseModel(opTest({}), { name: 'c', inputs: [{ type: 'bfloat16', data: [1], dims: [1] }], outputs: [] })).toThrow(UnsupportedTestError);
  });
});

describe('a backend without the op\'s kernels', () => {
  it('reports every case unsupported with the device\'s reason, never a crash', async () => {
    const device = { info: { backend: 'cuda' }, prepare: async () => { throw new Error("no CUDA kernel named 'unary'"); } };
    const store = { arena: { device } } as unknown as ModelStore;
    const c = { name: 'c', inputs: [f32([-1], [1])], outputs: [f32([0], [1])] };
    const r = await runTest(store, opTest({ cases: [c, { ...c, name: 'd' }] }));
    expect(r.verdict).toBe('unsupported');
    expect(r.cases.map((x) => x.verdict)).toEqual(['unsupported', 'unsupported']);
    expect(r.cases[0]!.detail).toMatch(/the cuda backend cannot prepare Relu's kernels \(unary, unary_int\): no CUDA kernel named 'unary'/);
  });
});

describe('comparison', () => {
  it('floats within 1e-4 + 1e-3 |expected|; integers, booleans, types and dims exactly', () => {
    const y = (data: number[]) => ({ type: 'float32' as const, dims: [2], data: Float32Array.from(data) });
    expect(firstMismatch([y([100.1, 1.00005])], [f32([100, 1], [2])])).toBeUndefined();
    expect(firstMismatch([y([100.2, 1])], [f32([100, 1], [2])])).toMatch(/output 0 \[0\]: got 100\.2.*expected 100/);
    expect(firstMismatch([y([NaN, 1])], [f32([0, 1], [2])])).toMatch(/\[0\]: got NaN/);
    expect(firstMismatch([y([1, 2])], [f32([1, 2], [1, 2])])).toMatch(/dims \[2\], expected \[1,2\]/);
    const b = { type: 'bool' as const, dims: [2], data: Uint8Array.from([1, 0]) };
    expect(firstMismatch([b], [{ type: 'bool', data: [true, false], dims: [2] }])).toBeUndefined();
    expect(firstMismatch([b], [{ type: 'int32', data: [1, 0], dims: [2] }])).toMatch(/type bool, expected int32/);
    const i = { type: 'int32' as const, dims: [1], data: Int32Array.from([3]) };
    expect(firstMismatch([i], [{ type: 'int32', data: [4], dims: [1] }])).toMatch(/got 3, expected 4/);
  });
});

describe('suite list check', () => {
  const result = (id: string, ...verdicts: TestResult['verdict'][]): TestResult => ({
    id, file: 'x.jsonc', operator: 'Relu', verdict: verdicts.includes('fail') ? 'fail' : verdicts.includes('unsupported') ? 'unsupported' : 'pass',
    cases: verdicts.map((v, i) => ({ name: `c${i}`, verdict: v, ...(v === 'pass' ? {} : { detail: 'why' }) })),
  });
  const suite = { pass: ['a'], notPassing: { b: { verdict: 'unsupported' as const, reason: 'float16' }, c: { verdict: 'fail' as const, reason: 'bug', cases: ['c1'] } } };

  it('agrees when the run matches the list', () => {
    expect(checkSuite([result('a', 'pass', 'pass'), result('b', 'unsupported'), result('c', 'pass', 'fail')], suite)).toEqual([]);
  });

  it('flags an expected pass that fails, a listed failure that now passes, and unlisted or stale tests', () => {
    const problems = checkSuite([result('a', 'pass', 'fail'), result('b', 'pass'), result('c', 'pass', 'fail'), result('d', 'pass')], suite);
    expect(problems).toEqual([
      'a [c1]: expected to pass, got fail: why',
      'b [c0]: listed as unsupported (float16) but now passes; move it to the pass list',
      'd: not in the suite list (verdict pass); add it to pass or notPassing',
    ]);
    expect(checkSuite([result('a', 'pass')], suite)).toEqual(['b: in the suite list but not in the tables', 'c: in the suite list but not in the tables']);
  });
});
