// The vec4 elementwise training kernels of hardware adapters (variants.ts
// VEC4_ELEMENTWISE and bias_add_vec4), forced on whatever adapter is here
// (SwiftShader in CI): each is what a tiled device runs where n is a multiple
// of 4 (the portable kernel elsewhere), and computes every element exactly as
// the portable kernel's f32 expression does (bit for bit against the same
// expression rounded to f32 here), on fresh random inputs at odd lengths,
// with the words past n poisoned (out of place) or random (in place) and
// checked untouched.
import { describe, expect, it } from 'vitest';
import { packParams } from '../src/core/device.js';
import { axpy, biasAdd, fill, relu, reluBackward } from '../src/kernels/elementwise.js';
import { sgdMomentum } from '../src/kernels/optimizers.js';
import { pickVariant, tiledVariants, variantsFor, VEC4_ELEMENTWISE } from '../src/devices/webgpu/variants.js';
import { POISON, randn, rng } from './helpers/gpu.js';
import { useForcedEnv } from './helpers/webgpu-env.js';

const r = rng(Date.now() & 0xffff);
const env = useForcedEnv({ kernels: 'tiled' });
const f = Math.fround;
/** Words past n in every buffer: a kernel that writes beyond n changes them. */
const TAIL = 9;

/** x with TAIL random words appended. */
const padded = (x: Float32Array) => Float32Array.from([...x, ...randn(TAIL, r)]);
/** n + TAIL words of the poison NaN (built as words: a JS number would lose the NaN's payload). */
const poisonedTail = (n: number) => new Float32Array(new Uint32Array(n + TAIL).fill(POISON).buffer);
/** The words of `head` followed by TAIL poison words. */
const thenPoison = (head: Float32Array) => Uint32Array.from([...bits(head), ...new Uint32Array(TAIL).fill(POISON)]);
const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

async function read(a: ReturnType<typeof env.s.upload>, n: number): Promise<Float32Array> {
  return Float32Array.from(await env.s.readF32(a, n + TAIL));
}

describe('which kernel runs', () => {
  it('a tiled device runs the vec4 kernel where n is a multiple of 4, the portable kernel elsewhere; the register set none', () => {
    for (const k of VEC4_ELEMENTWISE) {
      expect(pickVariant(tiledVariants, k, packParams([4100, 0]))?.kernel).toBe(`${k}_vec4`);
      expect(pickVariant(tiledVariants, k, packParams([4101, 0]))).toBeUndefined();
      expect(pickVariant(tiledVariants, k, packParams([0, 0]))).toBeUndefined();
      expect(pickVariant(variantsFor('register', false), k, packParams([4100, 0]))).toBeUndefined();
    }
    expect(pickVariant(tiledVariants, 'bias_add', packParams([7, 4096]))?.kernel).toBe('bias_add_vec4');
    expect(pickVariant(tiledVariants, 'bias_add', packParams([8, 10]))).toBeUndefined(); // n 10: rows not on 16 bytes
  });
});

// n: multiples of 4 (the vec4 kernels, one partial workgroup, several) and not (the portable kernels)
const LENGTHS = [4, 12, 1028, 4100, 70_004, 7, 1027];

describe('vec4 elementwise kernels against their f32 expressions, bit for bit', () => {
  for (const n of LENGTHS) {
    it(`axpy n=${n}`, async () => {
      const x = randn(n, r);
      const y0 = padded(randn(n, r));
      const y = env.s.upload(y0);
      env.dev.launch(axpy(env.s.upload(x), y, n, 0.375));
      const want = Float32Array.from(y0, (v, i) => (i < n ? f(v + f(0.375 * x[i]!)) : v));
      expect(bits(await read(y, n))).toEqual(bits(want));
      await env.s.reset();
    });
    for (const first of [false, true])
      it(`sgd_momentum n=${n} first=${first}`, async () => {
        const [lr, mu, wd] = [0.01, 0.9, 0.001];
        const w0 = padded(randn(n, r));
        const g = padded(randn(n, r));
        const v0 = padded(randn(n, r));
        const [w, v] = [env.s.upload(w0), env.s.upload(v0)];
        env.dev.launch(sgdMomentum(w, env.s.upload(g), v, n, { lr, momentum: mu, weightDecay: wd }, first));
        const gi = (i: number) => f(g[i]! + f(f(wd) * w0[i]!));
        const vi = (i: number) => (first ? gi(i) : f(f(f(mu) * v0[i]!) + gi(i)));
        expect(bits(await read(v, n))).toEqual(bits(Float32Array.from(v0, (x, i) => (i < n ? vi(i) : x))));
        expect(bits(await read(w, n))).toEqual(bits(Float32Array.from(w0, (x, i) => (i < n ? f(x - f(f(lr) * vi(i))) : x))));
        await env.s.reset();
      });
    it(`fill n=${n}`, async () => {
      const y = env.s.upload(poisonedTail(n));
      env.dev.launch(fill(y, n, 0x3f800001));
      const got = bits(await read(y, n));
      expect([...got.subarray(0, n)].every((w) => w === 0x3f800001)).toBe(true);
      expect([...got.subarray(n)].every((w) => w === POISON)).toBe(true);
      await env.s.reset();
    });
    it(`relu and relu_backward n=${n}`, async () => {
      const x = randn(n, r);
      x[0] = 0; // max(0, 0) and the mask at exactly 0
      const dy = randn(n, r);
      const [y, dx] = [env.s.upload(poisonedTail(n)), env.s.upload(poisonedTail(n))];
      const xa = env.s.upload(x);
      env.dev.launch(relu(xa, y, n));
      env.dev.launch(reluBackward(xa, env.s.upload(dy), dx, n));
      expect(bits(await read(y, n))).toEqual(thenPoison(x.map((v) => Math.max(v, 0))));
      expect(bits(await read(dx, n))).toEqual(thenPoison(x.map((v, i) => (v > 0 ? dy[i]! : 0))));
      await env.s.reset();
    });
  }
  for (const [m, n] of [[1, 4], [3, 12], [37, 4096], [5, 10], [13, 7]] as const)
    it(`bias_add m=${m} n=${n}`, async () => {
      const y0 = padded(randn(m * n, r));
      const b = randn(n, r);
      const y = env.s.upload(y0);
      env.dev.launch(biasAdd(y, env.s.upload(b), m, n));
      const want = Float32Array.from(y0, (v, i) => (i < m * n ? f(v + b[i % n]!) : v));
      expect(bits(await read(y, m * n))).toEqual(bits(want));
      await env.s.reset();
    });
});
