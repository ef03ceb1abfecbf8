// The tensor-family inference kernels launched directly, on the edges the ONNX
// op tests do not reach (i32 wrap and division, clamped runtime indices,
// reflect pads wider than the axis, negative strides, more than 65535 groups),
// against exact or float64 references, with poisoned outputs. Runs on the test
// backend (HANDOVER_TEST_BACKEND=cuda: the CUDA twins in native-cuda/infer_*.cu).
// Also: each CUDA twin's bindings and Params size match its WGSL (no GPU needed).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packParams, type Launch, type ParamWord } from '../src/core/device.js';
import type { Allocation } from '../src/core/allocation.js';
import { stridedCopy } from '../src/kernels/strided-copy.js';
import { Scratch, rng, testDevice } from './helpers/gpu.js';
import { wgslSources } from '../src/devices/webgpu/shaders.gen.js';

const TENSOR_KERNELS = ['binary', 'binary_int', 'compare', 'where', 'unary', 'unary_int', 'unary_math', 'erf', 'cast',
  'gather', 'pad', 'strided_copy', 'trilu'];
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

const r = rng(Date.now() & 0xffff);
const randInt = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const zeros8 = (v: number[]) => [...v, ...new Array<number>(8 - v.length).fill(0)];
const ones8 = (v: number[]) => [...v, ...new Array<number>(8 - v.length).fill(1)];
/** Random i32 over the whole range, one in four a special value. */
function ints(n: number, specials = [0, 1, -1, 2, -2, I32_MIN, I32_MAX, I32_MIN + 1]): Int32Array {
  return Int32Array.from({ length: n }, () => (r() < 0.25 ? specials[randInt(0, specials.length - 1)]! : randInt(I32_MIN, I32_MAX)));
}
/** Same-shape elementwise binary params (rank 0: the fast path). */
function binaryParams(n: number, op: number, isInt: number, bInt = 0): ArrayBuffer {
  return packParams([n, op, isInt, 0, ...zeros8([]), ...zeros8([]), ...zeros8([]), n, n, bInt]);
}

let s: Scratch;
beforeAll(async () => {
  s = new Scratch(await testDevice(), 192 << 20, 1 << 20);
});
afterAll(() => s.destroy());

/** Launches on poisoned output words and reads them back. */
async function run(kernel: string, inputs: Allocation[], n: number, words: ParamWord[] | ArrayBuffer): Promise<Uint32Array> {
  const y = s.poisoned(n);
  const params = words instanceof ArrayBuffer ? words : packParams(words);
  s.device.launch({ kernel, bindings: [...inputs, y], params, threads: [n] } as Launch);
  const got = (await s.readU32(y, n)).slice();
  await s.reset();
  return got;
}
const asI32 = (u: Uint32Array) => new Int32Array(u.buffer, u.byteOffset, u.length);
const asF32 = (u: Uint32Array) => new Float32Array(u.buffer, u.byteOffset, u.length);

/** First index where got and want differ (bits, or both NaN for floats), or ''. */
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, what: string): string {
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i])))
      return `${what}[${i}]: got ${got[i]}, want ${want[i]}`;
  return '';
}

// x^e mod 2^32 for e >= 0; for e < 0 the truncated 1/x^|e| (0 unless |x| = 1).
function ipowRef(x: number, e: number): number {
  if (e < 0) return x === 1 ? 1 : x === -1 ? (e % 2 !== 0 ? -1 : 1) : 0;
  let acc = 1n;
  let base = BigInt(x);
  for (let k = BigInt(e); k > 0n; k >>= 1n) {
    if (k & 1n) acc = BigInt.asIntN(32, acc * base);
    base = BigInt.asIntN(32, base * base);
  }
  return Number(acc);
}

describe('binary_int: i32 arithmetic wraps; division truncates, x / 0 = 0, INT_MIN / -1 = INT_MIN', () => {
  const refs: [string, (a: number, b: number) => number][] = [
    ['add', (a, b) => (a + b) | 0],
    ['sub', (a, b) => (a - b) | 0],
    ['mul', (a, b) => Math.imul(a, b)],
    ['div', (a, b) => (b === 0 ? 0 : Math.trunc(a / b) | 0)],
    ['pow', ipowRef],
    ['min', Math.min],
    ['max', Math.max],
  ];
  refs.forEach(([name, f], op) =>
    it(name, async () => {
      const n = 1531;
      const a = ints(n);
      const b = op === 4 ? Int32Array.from({ length: n }, () => randInt(-3, 40)) : ints(n);
      const got = asI32(await run('binary_int', [s.upload(a), s.upload(b)], n, binaryParams(n, op, 1)));
      expect(firstMismatch(got, Array.from(a, (v, i) => f(v, b[i]!)), name)).toBe('');
    }));
});

describe('binary (f32): Pow', () => {
  it('negative bases with integral exponents (f32 and i32 exponent), exact small exponents', async () => {
    const n = 999;
    const a = Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.5 + 3 * r()));
    const e = Int32Array.from({ length: n }, () => randInt(-6, 6));
    const want = Array.from(a, (v, i) => Math.pow(v, e[i]!));
    for (const bInt of [0, 1]) {
      const b = bInt ? s.upload(e) : s.upload(Float32Array.from(e));
      const got = asF32(await run('binary', [s.upload(a), b], n, binaryParams(n, 4, 0, bInt)));
      const bad = want.findIndex((w, i) => !(Math.abs(got[i]! - w) <= 1e-5 * Math.abs(w)));
      expect(bad < 0 ? '' : `bInt ${bInt}: ${a[bad]}^${e[bad]} = ${got[bad]}, want ${want[bad]}`).toBe('');
    }
  });
});

describe('compare', () => {
  const specials = [0, -0, 1, -1, Infinity, -Infinity, 2.5, NaN];
  const floats = (n: number) => Float32Array.from({ length: n }, () => (r() < 0.5 ? specials[randInt(0, 7)]! : randInt(-3, 3) * 0.5));
  // With a NaN operand every relation is false (ONNX, IEEE 754), greater and greater-or-equal too.
  const refs: [number, string, (x: number, z: number) => boolean][] = [
    [7, 'equal', (x, z) => x === z],
    [8, 'less', (x, z) => x < z],
    [9, 'greater', (x, z) => x > z],
    [10, 'less-or-equal', (x, z) => x <= z],
    [11, 'greater-or-equal', (x, z) => x >= z],
  ];
  for (const [op, name, f] of refs)
    it(`${name} on f32 (±0, ±inf, NaN) and i32`, async () => {
      const n = 777;
      const [x, z] = [floats(n), floats(n)];
      const got = await run('compare', [s.upload(x), s.upload(z)], n, binaryParams(n, op, 0));
      expect(firstMismatch(got, Array.from(x, (v, i) => +f(v, z[i]!)), `f32 ${name}`)).toBe('');
      const [a, b] = [ints(n, [0, -1, I32_MIN, I32_MAX]), ints(n, [0, -1, I32_MIN, I32_MAX])];
      for (let i = 0; i < n; i += 3) b[i] = a[i]!;
      const gi = await run('compare', [s.upload(a), s.upload(b)], n, binaryParams(n, op, 1));
      expect(firstMismatch(gi, Array.from(a, (v, i) => +f(v, b[i]!)), `i32 ${name}`)).toBe('');
    });
  it('and, or, xor on bool with a broadcast operand (rank 2)', async () => {
    const [m, k] = [37, 5];
    const a = Uint32Array.from({ length: m * k }, () => randInt(0, 1));
    const b = Uint32Array.from({ length: k }, () => randInt(0, 1));
    const params = (op: number) => packParams([m * k, op, 0, 2, ...zeros8([m, k]), ...zeros8([k, 1]), ...zeros8([0, 1]), m * k, k, 0]);
    const refs = [(p: number, q: number) => p & q, (p: number, q: number) => p | q, (p: number, q: number) => p ^ q];
    for (const [i, f] of refs.entries()) {
      const got = await run('compare', [s.upload(a), s.upload(b)], m * k, params(12 + i));
      expect(firstMismatch(got, Array.from(a, (v, j) => f(v, b[j % k]!)), `logic ${12 + i}`)).toBe('');
    }
  });
});

describe('unary_int and cast', () => {
  it('neg and abs wrap (INT_MIN stays), clip to [alpha, beta], not', async () => {
    const n = 1200;
    const x = ints(n);
    const refs: [number, (v: number) => number, number, number][] = [
      [0, (v) => -v | 0, 0, 0],
      [1, (v) => Math.abs(v) | 0, 0, 0],
      [2, (v) => Math.min(Math.max(v, -1000), 77777), -1000, 77777],
      [3, (v) => +(v === 0), 0, 0],
    ];
    for (const [op, f, alpha, beta] of refs) {
      const got = asI32(await run('unary_int', [s.upload(x)], n, [n, op, { f32: alpha }, { f32: beta }]));
      expect(firstMismatch(got, Array.from(x, f), `unary_int ${op}`)).toBe('');
    }
  });
  it('f32 -> i32 truncates toward zero, -> bool is x != 0 (-0 is false), i32/bool -> f32', async () => {
    const n = 1000;
    const f = Float32Array.from({ length: n }, () => (r() < 0.1 ? -0 : (r() * 2 - 1) * 2 ** randInt(0, 30)));
    const i = ints(n);
    const b = Uint32Array.from({ length: n }, () => randInt(0, 1));
    const cases: [string, Float32Array | Int32Array | Uint32Array, number, number, (v: number) => number][] = [
      ['f32 -> i32', f, 0, 1, (v) => Math.trunc(v) | 0],
      ['f32 -> bool', f, 0, 2, (v) => +(v !== 0)],
      ['f32 -> f32', f, 0, 0, (v) => v],
      ['i32 -> f32', i, 1, 0, (v) => Math.fround(v)],
      ['i32 -> bool', i, 1, 2, (v) => +(v !== 0)],
      ['bool -> f32', b, 2, 0, (v) => v],
      ['bool -> i32', b, 2, 1, (v) => v],
    ];
    for (const [name, x, src, dst, ref] of cases) {
      const raw = await run('cast', [s.upload(x)], n, [n, src, dst]);
      const got = dst === 0 ? asF32(raw) : dst === 1 ? asI32(raw) : raw;
      expect(firstMismatch(got, Array.from(x, ref), name)).toBe('');
    }
  });
});

describe('data movement', () => {
  it('gather clamps runtime indices that are out of range; negatives count from the end', async () => {
    const [outer, axisLen, inner, nIdx] = [3, 7, 5, 11];
    const x = Int32Array.from({ length: outer * axisLen * inner }, () => randInt(-1e6, 1e6));
    const idx = Int32Array.from({ length: nIdx }, () => randInt(-12, 12));
    const n = outer * nIdx * inner;
    const got = asI32(await run('gather', [s.upload(x), s.upload(idx)], n, [n, axisLen, nIdx, inner]));
    const want = Array.from({ length: n }, (_, k) => {
      const [o, j, q] = [Math.floor(k / (nIdx * inner)), Math.floor(k / inner) % nIdx, k % inner];
      const g = idx[j]! < 0 ? idx[j]! + axisLen : idx[j]!;
      return x[(o * axisLen + Math.min(Math.max(g, 0), axisLen - 1)) * inner + q]!;
    });
    expect(firstMismatch(got, want, 'gather')).toBe('');
  });

  for (const [mode, name] of [[0, 'constant'], [1, 'reflect'], [2, 'edge']] as const)
    it(`pad ${name}, pads wider than the axis`, async () => {
      const xd = [2, 3, 4];
      const begin = [1, 7, 0];
      const od = [5, 3 + 7 + 9, 4 + 6];
      const x = Int32Array.from({ length: 24 }, () => randInt(-99, 99));
      const n = od.reduce((p, q) => p * q, 1);
      const words = [n, 3, mode, 4242, ...ones8(od), ...ones8(xd), ...zeros8(begin).map((v) => ({ i32: v }))];
      const got = asI32(await run('pad', [s.upload(x)], n, words));
      const map = (k: number, len: number): number | null => {
        if (k >= 0 && k < len) return k;
        if (mode === 0) return null;
        if (mode === 2) return Math.min(Math.max(k, 0), len - 1);
        const period = Math.max(2 * (len - 1), 1);
        const m = Math.abs(k) % period;
        return m >= len ? period - m : m;
      };
      const want = Array.from({ length: n }, (_, k) => {
        const c = [Math.floor(k / (od[1]! * od[2]!)), Math.floor(k / od[2]!) % od[1]!, k % od[2]!].map((v, d) => map(v - begin[d]!, xd[d]!));
        return c.some((v) => v === null) ? 4242 : x[(c[0]! * xd[1]! + c[1]!) * xd[2]! + c[2]!]!;
      });
      expect(firstMismatch(got, want, `pad ${name}`)).toBe('');
    });

  it('strided_copy with a negative stride and offsets (a reversed, transposed slice)', async () => {
    const [rows, cols] = [9, 13];
    const x = Int32Array.from({ length: rows * cols }, () => randInt(-1e9, 1e9));
    const y = s.poisoned(4 + rows * cols);
    // y[4 + j * rows + i] = x[(rows - 1 - i) * cols + j]
    s.device.launch(stridedCopy(s.upload(x), y, [rows, cols], [-cols, 1], [1, rows], (rows - 1) * cols, 4));
    const got = asI32((await s.readU32(y, 4 + rows * cols)).slice(4));
    await s.reset();
    const want = Array.from({ length: rows * cols }, (_, k) => x[(rows - 1 - (k % rows)) * cols + Math.floor(k / rows)]!);
    expect(firstMismatch(got, want, 'strided_copy')).toBe('');
  });

  it('trilu upper and lower with k beyond the matrix', async () => {
    const [batch, rows, cols] = [3, 6, 4];
    const n = batch * rows * cols;
    const x = Int32Array.from({ length: n }, () => randInt(1, 1e6));
    for (const upper of [0, 1])
      for (const k of [-9, -2, 0, 1, 5]) {
        const got = asI32(await run('trilu', [s.upload(x)], n, [n, rows, cols, upper, { i32: k }]));
        const want = Array.from(x, (v, i) => {
          const d = (i % cols) - (Math.floor(i / cols) % rows);
          return (upper ? d >= k : d <= k) ? v : 0;
        });
        expect(firstMismatch(got, want, `trilu upper=${upper} k=${k}`)).toBe('');
      }
  });
});

describe('more than 65535 groups of 256', () => {
  it('unary neg covers every item of 65535 * 256 + 777', async () => {
    const n = 65535 * 256 + 777;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 1000) - 500.5);
    const got = asF32(await run('unary', [s.upload(x)], n, [n, 5, { f32: 0 }, { f32: 0 }]));
    const bad = got.findIndex((v, i) => v !== -x[i]!);
    expect(bad < 0 ? '' : `item ${bad}: got ${got[bad]}, want ${-x[bad]!}`).toBe('');
  }, 120_000);
});

// The CUDA twins take the WGSL's bindings and Params bytes (built addon only).
const addonPath = 'native-cuda/build/handover_cuda.node';
describe.skipIf(!existsSync(addonPath))(`CUDA tensor kernels match their WGSL layout${existsSync(addonPath) ? '' : ' (skipped: addon not built)'}`, () => {
  /** Bytes of the WGSL `struct Params` (u32/i32/f32, vec4, array<vec4, N>; 16-byte rounded) and its storage bindings. */
  function wgslLayout(name: string): { paramBytes: number; bindings: number } {
    const src = wgslSources[name]!; // as compiled: includes expanded
    const body = /struct Params \{([^}]*)\}/.exec(src)![1]!;
    let bytes = 0;
    for (const m of body.matchAll(/\w+\s*:\s*(array<vec4[uif],\s*(\d+)>|vec4[uif]|[uif]32)/g)) bytes += m[2] ? 16 * Number(m[2]) : m[1]!.startsWith('vec4') ? 16 : 4;
    return { paramBytes: Math.ceil(bytes / 16) * 16, bindings: (src.match(/var<storage/g) ?? []).length };
  }
  it('every tensor kernel is in the table with the WGSL bindings and Params size', () => {
    const addon = createRequire(import.meta.url)(`../${addonPath}`) as { kernels(): { name: string; bindings: number; paramBytes: number }[] };
    const table = new Map(addon.kernels().map((k) => [k.name, k]));
    for (const name of TENSOR_KERNELS) {
      const k = table.get(name);
      expect(k, name).toBeDefined();
      expect({ paramBytes: k!.paramBytes, bindings: k!.bindings }, name).toEqual(wgslLayout(name));
    }
  });
});
