// softmax_xent_rows, the register kernel set's softmax cross-entropy for rows
// of at most 64 classes (one invocation per row, no barriers; the trainer's
// 10 classes on SwiftShader), and the portable one-workgroup-per-row kernel
// forced through the tiled set: both against the float64 reference, and
// their row slices bit-identical to the whole launch.
import { describe, expect, it } from 'vitest';
import { packParams } from '../src/core/device.js';
import { pickVariant, registerVariants, tiledVariants, XENT_ROWS_MAX_CLASSES } from '../src/devices/webgpu/variants.js';
import { rng } from './helpers/gpu.js';
import { useForcedEnv } from './helpers/webgpu-env.js';
import { expectXentSlicesExact } from './helpers/xent-slices.js';

const r = rng(Date.now() & 0xffff);

describe('softmax_xent_rows (register kernel set)', () => {
  const env = useForcedEnv({ kernels: 'register' });
  it(`takes rows of at most ${XENT_ROWS_MAX_CLASSES} classes, whatever the slice; longer rows and the tiled set keep softmax_xent`, () => {
    const p = (m: number, c: number, row0 = 0) => packParams([m, c, row0, 0]);
    const v = pickVariant(registerVariants, 'softmax_xent', p(300, XENT_ROWS_MAX_CLASSES, 37))!;
    expect(v.kernel).toBe('softmax_xent_rows');
    expect(v.groups([130 * 64, 1, 1], p(300, 10, 37))).toEqual([3, 1, 1]); // a 130-row slice: 64 rows a workgroup
    expect(pickVariant(registerVariants, 'softmax_xent', p(300, XENT_ROWS_MAX_CLASSES + 1))).toBeUndefined();
    expect(pickVariant(tiledVariants, 'softmax_xent', p(300, 10))).toBeUndefined();
  });
  for (const [m, c] of [[1, 1], [65, 10], [130, 64], [7, 65]] as const)
    it(`matches the reference, slices bit-identical, m=${m} c=${c}`, async () => {
      await expectXentSlicesExact(env.s, r, m, c);
    });
});

describe('softmax_xent, one workgroup per row (forced through the tiled set)', () => {
  const env = useForcedEnv({ kernels: 'tiled' });
  for (const [m, c] of [[9, 10], [40, 129]] as const)
    it(`matches the reference, slices bit-identical, m=${m} c=${c}`, async () => {
      await expectXentSlicesExact(env.s, r, m, c);
    });
});
