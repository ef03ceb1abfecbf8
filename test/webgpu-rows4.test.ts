// matmul_rows4, the register kernel set's matmul for many rows (SwiftShader's
// default for the trainer's micro-batch GEMMs; src/devices/webgpu/variants.ts):
// against the float64 reference at odd shapes and every transpose, beta = 1,
// and row slices bit-identical to the whole product; outputs NaN-poisoned first.
import { describe, expect, it } from 'vitest';
import { matmul } from '../src/kernels/matmul.js';
import { packParams } from '../src/core/device.js';
import { pickVariant, registerVariants, ROWS4_MIN_ROWS } from '../src/devices/webgpu/variants.js';
import { closeness, randn, rng } from './helpers/gpu.js';
import { useForcedEnv } from './helpers/webgpu-env.js';
import { matmulRef } from './helpers/reference.js';
import { matmulCases } from './helpers/matmul-cases.js';

const r = rng(Date.now() & 0xffff);
const env = useForcedEnv({ kernels: 'register' });

describe('matmul_rows4 (register kernel set)', () => {
  it('takes matmuls of at least ROWS4_MIN_ROWS rows, whatever the slice; fewer rows keep matmul', () => {
    const mm = (m: number, row0 = 0, rows = m) => packParams([m, 100, 100, 0, { f32: 1 }, { f32: 0 }, row0, rows]);
    expect(pickVariant(registerVariants, 'matmul', mm(ROWS4_MIN_ROWS))?.kernel).toBe('matmul_rows4');
    expect(pickVariant(registerVariants, 'matmul', mm(ROWS4_MIN_ROWS - 1))).toBeUndefined();
    expect(pickVariant(registerVariants, 'matmul', mm(128, 40, 1))?.kernel).toBe('matmul_rows4'); // a 1-row slice of a 128-row product
    expect(pickVariant(registerVariants, 'matmul', mm(128, 0, 5))!.groups([0, 0, 0], mm(128, 0, 5))).toEqual([1, 2, 1]);
  });

  matmulCases(env, r, [[16, 1, 1], [17, 5, 3], [33, 257, 9], [64, 255, 65], [130, 3, 70], [21, 300, 7]], matmul);

  it('beta = 1 accumulates into C; row slices (odd starts, one row, to the end) are bit-identical to the whole product', async () => {
    const [m, n, k] = [133, 70, 19];
    const a = randn(m * k, r);
    const b = randn(k * n, r);
    const c0 = randn(m * n, r);
    const [ua, ub, c] = [env.s.upload(a), env.s.upload(b), env.s.upload(c0)];
    const whole = matmul({ a: ua, b: ub, c, m, n, k, transB: true, beta: 1 });
    env.dev.launch(whole);
    const got = await env.s.readF32(c, m * n);
    expect(closeness(got, matmulRef(a, b, m, n, k, false, true, 1, 1, c0))).toBeLessThan(1);
    const sliced = env.s.upload(c0);
    const slicer = matmul({ a: ua, b: ub, c: sliced, m, n, k, transB: true, beta: 1 }).slice!;
    for (const [row0, rows] of [[0, 30], [30, 1], [31, 3], [34, 99]]) env.dev.launch(slicer.at(row0, rows));
    expect(Array.from(await env.s.readF32(sliced, m * n))).toEqual(Array.from(got));
    await env.s.reset();
  });
});
