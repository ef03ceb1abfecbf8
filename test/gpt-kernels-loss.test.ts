// The GPT training kernels (docs/gpt-kernels.md), part 2: cross-entropy over a
// large vocabulary, the mean loss, global-norm clipping and AdamW, against
// float64 references with poisoned outputs. Runs on the test backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IGNORE_TARGET, crossEntropyBackward, crossEntropyForward, sumScaled } from '../src/kernels/cross-entropy.js';
import { clipSlots, gradClipScale, gradScale, gradSumsq, planClip } from '../src/kernels/grad-clip.js';
import { adamw } from '../src/kernels/adamw.js';
import { Scratch, closeness, randn, rng, testDevice } from './helpers/gpu.js';
import { adamwRef, crossEntropyRef } from './helpers/gpt-ref.js';

const seed = Date.now() & 0xffff;
const r = rng(seed);
const randInt = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

let s: Scratch;
beforeAll(async () => {
  s = new Scratch(await testDevice(), 128 << 20);
});
afterAll(() => s.destroy());

describe(`cross-entropy (seed ${seed})`, () => {
  const shapes: [number, number][] = [[7, 301], [1, 1], [3, 257], [randInt(2, 9), randInt(2, 2000)], [2, 50304]];
  for (const [n, v] of shapes)
    it(`forward, mean and in-place backward n=${n} V=${v}`, async () => {
      const logits = randn(n * v, r, 8);
      const targets = Uint32Array.from({ length: n }, () => randInt(0, v - 1));
      if (n > 2) targets[1] = IGNORE_TARGET;
      const count = targets.filter((t) => t !== IGNORE_TARGET).length;
      const scale = 1 / (count * 3); // as if this were one of 3 micro-batches
      const [loss, lse, mean] = [s.poisoned(n), s.poisoned(n), s.poisoned(1)];
      const [gl, gt] = [s.upload(logits), s.upload(targets)];
      s.device.launch(crossEntropyForward(gl, gt, loss, lse, n, v));
      s.device.launch(sumScaled(loss, mean, n, 1 / count));
      const [gotLoss, gotLse, gotMean] = [await s.readF32(loss, n), await s.readF32(lse, n), await s.readF32(mean, 1)];
      s.device.launch(crossEntropyBackward(gl, gt, lse, n, v, scale));
      const want = crossEntropyRef(logits, targets, n, v, scale);
      expect(closeness(gotLoss, want.loss, 1e-4)).toBeLessThan(1);
      expect(closeness(gotLse, want.lse, 1e-4)).toBeLessThan(1);
      expect(closeness(gotMean, [want.loss.reduce((a, x) => a + x, 0) / count], 1e-4)).toBeLessThan(1);
      expect(closeness(await s.readF32(gl, n * v), want.dlogits, 1e-7, 1e-4)).toBeLessThan(1);
      await s.reset();
    });

  it('a NaN or +inf logit makes only its row NaN; a target >= V gives NaN; -inf logits are fine', async () => {
    const [n, v] = [5, 40];
    const logits = randn(n * v, r);
    logits[0 * v + 3] = NaN;
    logits[1 * v + 7] = Infinity;
    logits[2 * v + 9] = -Infinity;
    const targets = Uint32Array.from([1, 2, 3, v + 2, 4]);
    const [loss, lse] = [s.poisoned(n), s.poisoned(n)];
    s.device.launch(crossEntropyForward(s.upload(logits), s.upload(targets), loss, lse, n, v));
    const got = await s.readF32(loss, n);
    expect([0, 1, 3].map((i) => Number.isNaN(got[i]!))).toEqual([true, true, true]);
    const want = crossEntropyRef(logits, Uint32Array.from([1, 2, 3, 0, 4]), n, v, 1);
    expect(closeness([got[2]!, got[4]!], [want.loss[2]!, want.loss[4]!], 1e-5)).toBeLessThan(1);
    await s.reset();
  });
});

describe(`global-norm clipping (seed ${seed})`, () => {
  it('the norm over several tensors, the clip coefficient on the GPU, and grad_scale', async () => {
    const sizes = [7, 301, 256 * 64 + 5, 256 * 70 + 3, randInt(1, 5000)];
    const grads = sizes.map((n) => randn(n, r));
    const plan = planClip(sizes);
    expect(plan.total).toBe(sizes.reduce((a, n) => a + clipSlots(n), 0));
    const partials = s.poisoned(plan.total);
    const bufs = grads.map((g) => s.upload(g));
    bufs.forEach((b, i) => s.device.launch(gradSumsq(b, partials, sizes[i]!, plan.slots[i]!)));
    const norm = Math.sqrt(grads.reduce((a, g) => a + g.reduce((x, v) => x + v * v, 0), 0));
    for (const maxNorm of [norm / 3, norm * 2, Infinity]) {
      const clip = s.poisoned(2);
      s.device.launch(gradClipScale(partials, clip, plan.total, maxNorm));
      const got = await s.readF32(clip, 2);
      const coef = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
      expect(closeness(got, [norm, coef], 1e-6, 1e-5), `maxNorm ${maxNorm}`).toBeLessThan(1);
      if (maxNorm === norm / 3) {
        s.device.launch(gradScale(bufs[1]!, clip, sizes[1]!));
        expect(closeness(await s.readF32(bufs[1]!, sizes[1]!), Array.from(grads[1]!, (v) => v * coef), 1e-6, 1e-5)).toBeLessThan(1);
      }
    }
    await s.reset();
  });

  it('a NaN gradient gives a NaN norm and a NaN coefficient (as torch)', async () => {
    const g = randn(1000, r);
    g[500] = NaN;
    const [partials, clip] = [s.poisoned(clipSlots(1000)), s.poisoned(2)];
    s.device.launch(gradSumsq(s.upload(g), partials, 1000, 0));
    s.device.launch(gradClipScale(partials, clip, clipSlots(1000), 1));
    const got = await s.readF32(clip, 2);
    expect([Number.isNaN(got[0]!), Number.isNaN(got[1]!)]).toEqual([true, true]);
    await s.reset();
  });

  it('maxNorm <= 0 is a KernelShapeError', () => {
    expect(() => gradClipScale(s.poisoned(1), s.poisoned(2), 1, 0)).toThrow(/maxNorm must be > 0/);
  });
});

describe(`adamw (seed ${seed})`, () => {
  for (const [n, wd, t] of [[1, 0.1, 1], [257, 0.1, 1], [randInt(300, 3000), 0.01, 7], [1000, 0, 3]] as [number, number, number][])
    it(`n=${n} weight decay ${wd} step ${t}, gradient scaled by the clip coefficient`, async () => {
      const [w, g] = [randn(n, r), randn(n, r)];
      const m = randn(n, r, 0.1);
      const v = randn(n, r, 0.01).map(Math.abs);
      const coef = 0.37;
      const [gw, gm, gv] = [s.upload(w), s.upload(m), s.upload(v)];
      const h = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: wd };
      s.device.launch(adamw(gw, s.upload(g), gm, gv, s.upload(Float32Array.from([1, coef])), n, h, t));
      const want = adamwRef(w, g, m, v, h.lr, h.beta1, h.beta2, h.eps, wd, t, coef);
      expect(closeness(await s.readF32(gw, n), want.w, 1e-6, 1e-5)).toBeLessThan(1);
      expect(closeness(await s.readF32(gm, n), want.m, 1e-7, 1e-5)).toBeLessThan(1);
      expect(closeness(await s.readF32(gv, n), want.v, 1e-9, 1e-5)).toBeLessThan(1);
      await s.reset();
    });
});
