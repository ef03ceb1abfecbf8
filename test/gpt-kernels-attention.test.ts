// The GPT training kernels (docs/gpt-kernels.md), part 3: causal multi-head
// self-attention forward (with the saved logsumexp) and backward, against a
// float64 reference that builds the full probability matrix, and the
// strided-batched GEMM (cuBLAS on CUDA). Runs on the test backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HEAD_DIM, attentionBackward, attentionForward } from '../src/kernels/attention.js';
import { batchedGemm } from '../src/kernels/batched-gemm.js';
import { KernelShapeError } from '../src/kernels/shape.js';
import { Scratch, closeness, randn, rng, testDevice } from './helpers/gpu.js';
import { attentionBackwardRef, attentionRef } from './helpers/gpt-ref.js';
import { matmulRef } from './helpers/reference.js';

const seed = Date.now() & 0xffff;
const r = rng(seed);
const randInt = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

let s: Scratch;
beforeAll(async () => {
  s = new Scratch(await testDevice());
});
afterAll(() => s.destroy());

describe(`causal attention (seed ${seed})`, () => {
  // [B, T, H, D, input scale]: odd shapes, ones crossing the 64-row workgroup, the largest head, large scores.
  const shapes: [number, number, number, number, number][] = [
    [2, 7, 3, 8, 1], [1, 1, 1, 1, 1], [1, 67, 2, 5, 1], [randInt(1, 3), randInt(2, 20), randInt(1, 4), randInt(1, 24), 1],
    [1, 5, 1, MAX_HEAD_DIM, 0.5], [2, 9, 2, 16, 4],
    // GPT-2's head (D = 64) over three 64-row tiles, the last partial; a padded head (D = 40) likewise.
    [1, 150, 2, 64, 1], [2, 131, 1, 40, 1],
  ];
  for (const [b, t, h, d, scale] of shapes)
    it(`forward and backward B=${b} T=${t} H=${h} D=${d} (inputs x${scale})`, async () => {
      const c = h * d;
      const qkv = randn(b * t * 3 * c, r, scale);
      const dy = randn(b * t * c, r);
      const [y, lse, dqkv, delta] = [s.poisoned(b * t * c), s.poisoned(b * h * t), s.poisoned(b * t * 3 * c), s.poisoned(b * h * t)];
      const gqkv = s.upload(qkv);
      s.device.launch(attentionForward(gqkv, y, lse, b, t, h, d));
      for (const l of attentionBackward(gqkv, y, s.upload(dy), lse, dqkv, delta, b, t, h, d)) s.device.launch(l);
      const want = attentionRef(qkv, b, t, h, d);
      const atol = 1e-5 * Math.max(1, scale * scale * d);
      expect(closeness(await s.readF32(y, b * t * c), want.y, atol, 1e-4), 'y').toBeLessThan(1);
      expect(closeness(await s.readF32(lse, b * h * t), want.lse, atol, 1e-4), 'lse').toBeLessThan(1);
      const wantD = attentionBackwardRef(qkv, dy, b, t, h, d);
      expect(closeness(await s.readF32(dqkv, b * t * 3 * c), wantD, 1e-4 * Math.max(1, scale * scale * d), 1e-3), 'dqkv').toBeLessThan(1);
      await s.reset();
    });

  it('a query row sees only keys at or before it (changing a later key or value changes no earlier output)', async () => {
    const [b, t, h, d] = [1, 6, 2, 4];
    const c = h * d;
    const qkv = randn(b * t * 3 * c, r);
    const outs: Float32Array[] = [];
    for (let run = 0; run < 2; run++) {
      if (run === 1) for (let i = 0; i < 2 * c; i++) qkv[(t - 1) * 3 * c + c + i] = 5; // last row's k and v
      const y = s.poisoned(b * t * c);
      s.device.launch(attentionForward(s.upload(qkv), y, s.poisoned(b * h * t), b, t, h, d));
      outs.push(await s.readF32(y, b * t * c));
    }
    expect(Buffer.from(outs[0]!.buffer, 0, (t - 1) * c * 4).equals(Buffer.from(outs[1]!.buffer, 0, (t - 1) * c * 4))).toBe(true);
    expect(Buffer.from(outs[0]!.buffer).equals(Buffer.from(outs[1]!.buffer))).toBe(false);
    await s.reset();
  });

  it('the backward gives the same bits on a second run (no atomics; fixed summation order)', async () => {
    const [b, t, h, d] = [1, 130, 2, 64];
    const [qkv, dy] = [s.upload(randn(b * t * 3 * h * d, r)), s.upload(randn(b * t * h * d, r))];
    const [y, lse] = [s.poisoned(b * t * h * d), s.poisoned(b * h * t)];
    s.device.launch(attentionForward(qkv, y, lse, b, t, h, d));
    const runs: Buffer[] = [];
    for (let run = 0; run < 2; run++) {
      const dqkv = s.poisoned(b * t * 3 * h * d);
      for (const l of attentionBackward(qkv, y, dy, lse, dqkv, s.poisoned(b * h * t), b, t, h, d)) s.device.launch(l);
      runs.push(Buffer.from((await s.readF32(dqkv, b * t * 3 * h * d)).buffer));
    }
    expect(runs[0]!.equals(runs[1]!)).toBe(true);
    await s.reset();
  });

  it('a head dimension over the limit is a KernelShapeError', () => {
    const x = s.poisoned(1);
    expect(() => attentionForward(x, x, x, 1, 4, 1, MAX_HEAD_DIM + 1)).toThrow(KernelShapeError);
  });
});

describe(`batched_gemm (seed ${seed})`, () => {
  const cases: [number, number, number, number, boolean, boolean, boolean][] = [
    [7, 5, 3, 4, false, false, false], [6, 9, 8, 3, true, false, false], [5, 7, 11, 2, false, true, false],
    [randInt(1, 20), randInt(1, 20), randInt(1, 20), randInt(1, 6), true, true, false], [4, 6, 5, 3, false, true, true],
  ];
  for (const [m, n, k, batch, transA, transB, broadcastA] of cases)
    it(`m=${m} n=${n} k=${k} batch=${batch} transA=${transA} transB=${transB}${broadcastA ? ' (A broadcast)' : ''}, beta 1 accumulates`, async () => {
      const [strideA, strideB, strideC] = [broadcastA ? 0 : m * k + 3, k * n + 1, m * n + 2];
      const a = randn(strideA * (batch - 1) + m * k, r);
      const b = randn(strideB * (batch - 1) + k * n, r);
      const c0 = randn(strideC * batch, r);
      const [ga, gb, gc] = [s.upload(a), s.upload(b), s.upload(c0)];
      const args = { a: ga, b: gb, c: gc, m, n, k, batch, strideA, strideB, strideC, transA, transB };
      s.device.launch(batchedGemm({ ...args, alpha: 0.5, beta: 1 }));
      const got = await s.readF32(gc, strideC * batch);
      const want = Float64Array.from(c0);
      for (let i = 0; i < batch; i++) {
        const prod = matmulRef(a.subarray(i * strideA, i * strideA + m * k), b.subarray(i * strideB, i * strideB + k * n), m, n, k, transA, transB, 0.5);
        prod.forEach((v, j) => (want[i * strideC + j] += v));
      }
      expect(closeness(got, want, 1e-5, 1e-4)).toBeLessThan(1);
      // beta 0 overwrites without reading C (a poisoned C does not leak through).
      const c = s.poisoned(strideC * batch);
      s.device.launch(batchedGemm({ ...args, c }));
      const over = await s.readF32(c, strideC * batch);
      for (let i = 0; i < batch; i++) {
        const prod = matmulRef(a.subarray(i * strideA, i * strideA + m * k), b.subarray(i * strideB, i * strideB + k * n), m, n, k, transA, transB, 1);
        expect(closeness(over.subarray(i * strideC, i * strideC + m * n), prod, 1e-5, 1e-4), `entry ${i}`).toBeLessThan(1);
      }
      await s.reset();
    });

  it('overlapping outputs are a KernelShapeError', () => {
    const x = s.poisoned(1);
    expect(() => batchedGemm({ a: x, b: x, c: x, m: 2, n: 2, k: 2, batch: 2, strideA: 4, strideB: 4, strideC: 3 })).toThrow(/outputs would overlap/);
  });
});
