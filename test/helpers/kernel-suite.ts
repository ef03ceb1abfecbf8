// The backend-neutral kernel conformance suite: every training kernel against
// a float64 CPU reference, with fresh random inputs, shapes that are not
// multiples of the workgroup size, and poisoned outputs. Each backend's test
// file calls kernelSuite() with a way to open its device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuDevice } from '../../src/core/device.js';
import { matmul } from '../../src/kernels/matmul.js';
import { axpy, biasAdd, f32Bits, fill, relu, reluBackward } from '../../src/kernels/elementwise.js';
import { softmaxXent, softmaxXentBackward } from '../../src/kernels/softmax-xent.js';
import { reduceRows } from '../../src/kernels/reduce-rows.js';
import { adam, sgdMomentum } from '../../src/kernels/optimizers.js';
import { Scratch, closeness, randn, rng } from './gpu.js';
import { matmulRef, softmaxXentRef } from './reference.js';
import { expectXentSlicesExact } from './xent-slices.js';

export function kernelSuite(open: () => Promise<GpuDevice>): void {
  let s: Scratch;
  const r = rng(Date.now() & 0xffff);

  beforeAll(async () => {
    s = new Scratch(await open());
  });
  afterAll(() => s.destroy());

  describe('matmul', () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [65, 33, 17], [130, 70, 129], [3, 200, 64]];
    for (const [m, n, k] of shapes)
      for (const transA of [false, true])
        for (const transB of [false, true])
          it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, async () => {
            const a = randn(m * k, r);
            const b = randn(k * n, r);
            const c = s.poisoned(m * n);
            s.device.launch(matmul({ a: s.upload(a), b: s.upload(b), c, m, n, k, transA, transB, alpha: 0.5 }));
            const got = await s.readF32(c, m * n);
            expect(closeness(got, matmulRef(a, b, m, n, k, transA, transB, 0.5))).toBeLessThan(1);
            await s.reset();
          });

    it('beta = 1 accumulates into C', async () => {
      const [m, n, k] = [37, 41, 23];
      const a = randn(m * k, r);
      const b = randn(k * n, r);
      const c0 = randn(m * n, r);
      const c = s.upload(c0);
      s.device.launch(matmul({ a: s.upload(a), b: s.upload(b), c, m, n, k, beta: 1 }));
      expect(closeness(await s.readF32(c, m * n), matmulRef(a, b, m, n, k, false, false, 1, 1, c0))).toBeLessThan(1);
      await s.reset();
    });
  });

  describe('elementwise', () => {
    it('fill writes a bit pattern', async () => {
      const n = 1000;
      const y = s.poisoned(n);
      s.device.launch(fill(y, n, f32Bits(-2.5)));
      expect([...(await s.readF32(y, n))].every((v) => v === -2.5)).toBe(true);
      await s.reset();
    });

    it('bias_add', async () => {
      const [m, n] = [19, 301];
      const y0 = randn(m * n, r);
      const bias = randn(n, r);
      const y = s.upload(y0);
      s.device.launch(biasAdd(y, s.upload(bias), m, n));
      const want = Array.from(y0, (v, i) => v + bias[i % n]!);
      expect(closeness(await s.readF32(y, m * n), want)).toBeLessThan(1);
      await s.reset();
    });

    it('relu and relu_backward', async () => {
      const n = 70_001;
      const x = randn(n, r);
      const dy = randn(n, r);
      const y = s.poisoned(n);
      const dx = s.poisoned(n);
      const xa = s.upload(x);
      s.device.launch(relu(xa, y, n));
      s.device.launch(reluBackward(xa, s.upload(dy), dx, n));
      expect(closeness(await s.readF32(y, n), Array.from(x, (v) => Math.max(v, 0)))).toBeLessThan(1);
      expect(closeness(await s.readF32(dx, n), Array.from(x, (v, i) => (v > 0 ? dy[i]! : 0)))).toBeLessThan(1);
      await s.reset();
    });

    it('axpy accumulates alpha * x into y', async () => {
      const n = 5003;
      const x = randn(n, r);
      const y0 = randn(n, r);
      const y = s.upload(y0);
      s.device.launch(axpy(s.upload(x), y, n, -0.75));
      expect(closeness(await s.readF32(y, n), Array.from(y0, (v, i) => v - 0.75 * x[i]!))).toBeLessThan(1);
      await s.reset();
    });

    it('1-D kernels past 65535 workgroups (WebGPU folds them into y)', async () => {
      const n = 65_535 * 256 + 1000;
      const big = new Scratch(s.device, 72 << 20, 4 << 20);
      const y = big.poisoned(n);
      s.device.launch(fill(y, n, f32Bits(3)));
      const got = await big.readF32(y, n);
      big.destroy();
      expect(got[0]).toBe(3);
      expect(got[n - 1]).toBe(3);
      expect(got.every((v) => v === 3)).toBe(true);
    });
  });

  describe('softmax cross-entropy', () => {
    for (const [m, c] of [[1, 10], [33, 10], [5, 1000], [17, 63]] as const)
      it(`forward and backward m=${m} c=${c}`, async () => {
        const logits = randn(m * c, r, 4);
        const labels = Uint32Array.from({ length: m }, () => Math.floor(r() * c));
        const probs = s.poisoned(m * c);
        const loss = s.poisoned(m);
        const dl = s.poisoned(m * c);
        const lab = s.upload(labels);
        s.device.launch(softmaxXent(s.upload(logits), lab, probs, loss, m, c));
        s.device.launch(softmaxXentBackward(probs, lab, dl, m, c, 1 / 64));
        const ref = softmaxXentRef(logits, labels, m, c);
        expect(closeness(await s.readF32(probs, m * c), ref.probs)).toBeLessThan(1);
        expect(closeness(await s.readF32(loss, m), ref.loss)).toBeLessThan(1);
        const want = Array.from(ref.probs, (p, i) => (p - (labels[Math.floor(i / c)] === i % c ? 1 : 0)) / 64);
        expect(closeness(await s.readF32(dl, m * c), want)).toBeLessThan(1);
        await s.reset();
      });
    for (const [m, c] of [[37, 10], [19, 100]] as const)
      it(`row slices (odd starts, one row, to the end) are bit-identical to the whole launch m=${m} c=${c}`, async () => {
        await expectXentSlicesExact(s, r, m, c);
      });
  });

  describe('reduce_rows', () => {
    for (const [m, n] of [[1, 1], [129, 10], [7, 513], [1000, 3]] as const)
      it(`sums over the batch m=${m} n=${n}, then accumulates`, async () => {
        const x = randn(m * n, r);
        const out = s.poisoned(n);
        const xa = s.upload(x);
        s.device.launch(reduceRows(xa, out, m, n));
        s.device.launch(reduceRows(xa, out, m, n, 0.5, 1));
        const want = new Float64Array(n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[j] += x[i * n + j]!;
        expect(closeness(await s.readF32(out, n), Array.from(want, (v) => 1.5 * v), 1e-4)).toBeLessThan(1);
        await s.reset();
      });
  });

  describe('optimizers', () => {
    it('sgd with momentum matches torch.optim.SGD over three steps', async () => {
      const n = 1031;
      const h = { lr: 0.1, momentum: 0.9, weightDecay: 0.01 };
      const w0 = randn(n, r);
      const grads = [randn(n, r), randn(n, r), randn(n, r)];
      const w = s.upload(w0);
      const v = s.poisoned(n);
      const wr = Float64Array.from(w0);
      const vr = new Float64Array(n);
      for (let t = 0; t < 3; t++) {
        s.device.launch(sgdMomentum(w, s.upload(grads[t]!), v, n, h, t === 0));
        for (let i = 0; i < n; i++) {
          const g = grads[t]![i]! + h.weightDecay * wr[i]!;
          vr[i] = t === 0 ? g : h.momentum * vr[i]! + g;
          wr[i] = wr[i]! - h.lr * vr[i]!;
        }
      }
      expect(closeness(await s.readF32(w, n), wr)).toBeLessThan(1);
      expect(closeness(await s.readF32(v, n), vr)).toBeLessThan(1);
      await s.reset();
    });

    it('adam matches torch.optim.Adam over three steps', async () => {
      const n = 777;
      const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.001 };
      const w0 = randn(n, r);
      const w = s.upload(w0);
      const m1 = s.upload(new Float32Array(n));
      const m2 = s.upload(new Float32Array(n));
      const wr = Float64Array.from(w0);
      const mr = new Float64Array(n);
      const vr = new Float64Array(n);
      for (let t = 1; t <= 3; t++) {
        const g = randn(n, r);
        s.device.launch(adam(w, s.upload(g), m1, m2, n, h, t));
        for (let i = 0; i < n; i++) {
          const gi = g[i]! + h.weightDecay * wr[i]!;
          mr[i] = h.beta1 * mr[i]! + (1 - h.beta1) * gi;
          vr[i] = h.beta2 * vr[i]! + (1 - h.beta2) * gi * gi;
          wr[i] = wr[i]! - (h.lr * (mr[i]! / (1 - h.beta1 ** t))) / (Math.sqrt(vr[i]! / (1 - h.beta2 ** t)) + h.eps);
        }
      }
      expect(closeness(await s.readF32(w, n), wr, 1e-5, 1e-3)).toBeLessThan(1);
      await s.reset();
    });
  });
}
