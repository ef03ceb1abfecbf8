// The GPT training kernels (docs/gpt-kernels.md), part 1: embedding, LayerNorm,
// GELU, against float64 references (test/helpers/gpt-ref.ts) on odd shapes,
// fresh random inputs and NaN-poisoned outputs. Runs on the test backend
// (HANDOVER_TEST_BACKEND=cuda: the CUDA twins in native-cuda/gpt_*.cu).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingBackwardWpe, embeddingBackwardWte, embeddingForward, embeddingIndex } from '../src/kernels/embedding.js';
import { layernormBackward, layernormBackwardParams, layernormForward } from '../src/kernels/layernorm.js';
import { geluBackward, geluForward } from '../src/kernels/gelu.js';
import { KernelShapeError } from '../src/kernels/shape.js';
import { Scratch, closeness, randn, rng, testDevice } from './helpers/gpu.js';
import { embeddingBackwardRef, embeddingRef, geluGradRef, geluRef, layernormBackwardRef, layernormRef } from './helpers/gpt-ref.js';

const seed = Date.now() & 0xffff;
const r = rng(seed);
const randInt = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const tokensOf = (n: number, vocab: number) => Uint32Array.from({ length: n }, () => randInt(0, vocab - 1));

let s: Scratch;
beforeAll(async () => {
  s = new Scratch(await testDevice());
});
afterAll(() => s.destroy());

describe(`embedding (seed ${seed})`, () => {
  const shapes: [number, number, number, number][] = [[2, 7, 24, 301], [1, 1, 1, 1], [3, randInt(2, 17), randInt(3, 70), randInt(2, 400)]];
  for (const [b, t, c, vocab] of shapes)
    it(`forward B=${b} T=${t} C=${c} V=${vocab}, a token >= V gives a NaN row`, async () => {
      const tokens = tokensOf(b * t, vocab);
      if (b * t > 3) tokens[2] = vocab + 5;
      const wte = randn(vocab * c, r);
      const wpe = randn((t + 2) * c, r);
      const out = s.poisoned(b * t * c);
      s.device.launch(embeddingForward(s.upload(tokens), s.upload(wte), s.upload(wpe), out, b, t, c, vocab));
      const got = await s.readF32(out, b * t * c);
      const want = embeddingRef(tokens, wte, wpe, b, t, c, vocab);
      const bad = want.findIndex((w, i) => (Number.isNaN(w) ? !Number.isNaN(got[i]!) : Math.abs(got[i]! - w) > 1e-6 * (1 + Math.abs(w))));
      expect(bad, `element ${bad}: got ${got[bad]}, want ${want[bad]}`).toBe(-1);
      await s.reset();
    });

  for (const [b, t, c, vocab] of shapes)
    it(`backward B=${b} T=${t} C=${c} V=${vocab} adds into the gradients, the same bits every run`, async () => {
      // Few distinct tokens, so runs of one token are long (the scatter's hard case).
      const tokens = tokensOf(b * t, Math.min(vocab, 5));
      const dout = randn(b * t * c, r);
      const dwte0 = randn(vocab * c, r);
      const dwpe0 = randn(t * c, r);
      const index = embeddingIndex(tokens);
      const [dtok, ddout, dorder, dseg] = [s.upload(tokens), s.upload(dout), s.upload(index.order), s.upload(index.segments)];
      const runs: Float32Array[][] = [];
      for (let run = 0; run < 2; run++) {
        const dwte = s.upload(dwte0);
        const dwpe = s.upload(dwpe0);
        s.device.launch(embeddingBackwardWte(ddout, dtok, dorder, dseg, dwte, index.unique, c, vocab));
        s.device.launch(embeddingBackwardWpe(ddout, dwpe, b, t, c));
        runs.push([await s.readF32(dwte, vocab * c), await s.readF32(dwpe, t * c)]);
      }
      const [wantTe, wantPe] = embeddingBackwardRef(dout, tokens, dwte0, dwpe0, b, t, c);
      expect(closeness(runs[0]![0]!, wantTe)).toBeLessThan(1);
      expect(closeness(runs[0]![1]!, wantPe)).toBeLessThan(1);
      expect(Buffer.from(runs[1]![0]!.buffer).equals(Buffer.from(runs[0]![0]!.buffer))).toBe(true);
      expect(Buffer.from(runs[1]![1]!.buffer).equals(Buffer.from(runs[0]![1]!.buffer))).toBe(true);
      await s.reset();
    });

  it('embeddingIndex sorts rows by token, stably, with one segment per distinct token', () => {
    const idx = embeddingIndex(Uint32Array.from([4, 1, 4, 0, 1, 4]));
    expect([...idx.order]).toEqual([3, 1, 4, 0, 2, 5]);
    expect([...idx.segments]).toEqual([0, 1, 3, 6]);
    expect(idx.unique).toBe(3);
  });

  it('a zero or fractional size is a KernelShapeError', () => {
    expect(() => embeddingForward(s.poisoned(1), s.poisoned(1), s.poisoned(1), s.poisoned(1), 1, 0, 4, 3)).toThrow(KernelShapeError);
    expect(() => embeddingBackwardWpe(s.poisoned(1), s.poisoned(1), 1, 2.5, 4)).toThrow(/t must be a positive integer/);
  });
});

describe(`layernorm (seed ${seed})`, () => {
  const shapes: [number, number][] = [[7, 24], [1, 1], [5, 65], [randInt(2, 40), randInt(2, 200)], [3, 769]];
  for (const [n, c] of shapes)
    it(`forward and backward n=${n} c=${c}`, async () => {
      const eps = 1e-5;
      // Rows with an offset: the mean must be subtracted before the variance.
      const x = randn(n * c, r).map((v, i) => v + 3 * Math.floor(i / c) - 2);
      const gamma = randn(c, r);
      const beta = randn(c, r);
      const dy = randn(n * c, r);
      const [dx, y, mean, rstd] = [s.poisoned(n * c), s.poisoned(n * c), s.poisoned(n), s.poisoned(n)];
      const [dgamma, dbeta] = [s.poisoned(c), s.poisoned(c)];
      const [gx, gg, gdy] = [s.upload(x), s.upload(gamma), s.upload(dy)];
      s.device.launch(layernormForward(gx, gg, s.upload(beta), y, mean, rstd, n, c, eps));
      s.device.launch(layernormBackward(gdy, gx, gg, mean, rstd, dx, n, c, false));
      s.device.launch(layernormBackwardParams(gdy, gx, mean, rstd, dgamma, dbeta, n, c, false));
      const want = layernormRef(x, gamma, beta, n, c, eps);
      const wantB = layernormBackwardRef(dy, x, gamma, n, c, eps);
      expect(closeness(await s.readF32(y, n * c), want.y, 1e-4)).toBeLessThan(1);
      expect(closeness(await s.readF32(mean, n), want.mean)).toBeLessThan(1);
      expect(closeness(await s.readF32(rstd, n), want.rstd, 1e-4)).toBeLessThan(1);
      expect(closeness(await s.readF32(dx, n * c), wantB.dx, 2e-4, 1e-3)).toBeLessThan(1);
      expect(closeness(await s.readF32(dgamma, c), wantB.dgamma, 2e-4, 1e-3)).toBeLessThan(1);
      expect(closeness(await s.readF32(dbeta, c), wantB.dbeta, 1e-4)).toBeLessThan(1);
      await s.reset();
    });

  it('accumulate adds dx, dgamma and dbeta to what is there', async () => {
    const [n, c] = [6, 33];
    const x = randn(n * c, r);
    const gamma = randn(c, r);
    const dy = randn(n * c, r);
    const [dx0, dg0, db0] = [randn(n * c, r), randn(c, r), randn(c, r)];
    const [mean, rstd] = [s.poisoned(n), s.poisoned(n)];
    const [gx, gg, gdy] = [s.upload(x), s.upload(gamma), s.upload(dy)];
    const [dx, dgamma, dbeta] = [s.upload(dx0), s.upload(dg0), s.upload(db0)];
    s.device.launch(layernormForward(gx, gg, s.upload(randn(c, r)), s.poisoned(n * c), mean, rstd, n, c));
    s.device.launch(layernormBackward(gdy, gx, gg, mean, rstd, dx, n, c, true));
    s.device.launch(layernormBackwardParams(gdy, gx, mean, rstd, dgamma, dbeta, n, c, true));
    const want = layernormBackwardRef(dy, x, gamma, n, c, 1e-5);
    expect(closeness(await s.readF32(dx, n * c), want.dx.map((v, i) => v + dx0[i]!), 2e-4, 1e-3)).toBeLessThan(1);
    expect(closeness(await s.readF32(dgamma, c), want.dgamma.map((v, i) => v + dg0[i]!), 2e-4, 1e-3)).toBeLessThan(1);
    expect(closeness(await s.readF32(dbeta, c), want.dbeta.map((v, i) => v + db0[i]!), 1e-4)).toBeLessThan(1);
    await s.reset();
  });

  it('a NaN in a row makes that row NaN and leaves the others', async () => {
    const [n, c] = [3, 10];
    const x = randn(n * c, r);
    x[c + 4] = NaN;
    const y = s.poisoned(n * c);
    s.device.launch(layernormForward(s.upload(x), s.upload(randn(c, r)), s.upload(randn(c, r)), y, s.poisoned(n), s.poisoned(n), n, c));
    const got = await s.readF32(y, n * c);
    expect(got.slice(c, 2 * c).every(Number.isNaN)).toBe(true);
    expect([...got.slice(0, c), ...got.slice(2 * c)].every(Number.isFinite)).toBe(true);
    await s.reset();
  });
});

describe(`gelu (seed ${seed})`, () => {
  for (const n of [1, 255, 257, randInt(300, 3000)])
    it(`forward and backward n=${n}, with the +-inf and NaN rules`, async () => {
      const x = randn(n, r, 6);
      const dy = randn(n, r);
      const specials = [Infinity, -Infinity, NaN, 12, -12];
      if (n > 10) specials.forEach((v, i) => (x[3 + i] = v));
      const [y, dx] = [s.poisoned(n), s.poisoned(n)];
      const gx = s.upload(x);
      s.device.launch(geluForward(gx, y, n));
      s.device.launch(geluBackward(gx, s.upload(dy), dx, n));
      const [gy, gdx] = [await s.readF32(y, n), await s.readF32(dx, n)];
      const limit = (v: number, f: (v: number) => number, hi: number) => (Number.isNaN(v) ? NaN : v > 10 ? hi : v < -10 ? 0 : f(v));
      const wantY = Array.from(x, (v) => limit(v, geluRef, v));
      const wantDx = Array.from(x, (v, i) => dy[i]! * limit(v, geluGradRef, 1));
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(wantY[i]!)) {
          expect(Number.isNaN(gy[i]!) && Number.isNaN(gdx[i]!), `item ${i}`).toBe(true);
          continue;
        }
        expect(gy[i], `gelu(${x[i]})`).toBe(wantY[i]! === Infinity ? Infinity : gy[i]);
        if (Number.isFinite(wantY[i]!)) expect(Math.abs(gy[i]! - wantY[i]!), `gelu(${x[i]})`).toBeLessThan(1e-5 + 1e-5 * Math.abs(wantY[i]!));
        expect(Math.abs(gdx[i]! - wantDx[i]!), `gelu'(${x[i]})`).toBeLessThan(1e-5 + 1e-4 * Math.abs(wantDx[i]!));
      }
      await s.reset();
    });
});
