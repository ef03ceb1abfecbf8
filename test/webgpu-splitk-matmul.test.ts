// Split-k matmuls of hardware adapters (variants.ts matmulSplit:
// matmul_splitk32, then matmul_splitk_sum), forced on whatever adapter is
// here (SwiftShader in CI) at small odd shapes whose 32 x 32 grid is small
// and k long: the device's choice against float64 in all four layouts,
// NaN-poisoned C, beta = 1, row slices bit-identical to the whole launch;
// and MLP training on the tiled kernels (split-k weight gradients, the vec4
// elementwise kernels) time-sliced gives the parameters and optimizer state
// of unsliced training bit for bit.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { packParams } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { SlicingPolicy } from '../src/core/slicing.js';
import { Trainer, type TrainConfig } from '../src/train/trainer.js';
import { matmul, type MatmulArgs } from '../src/kernels/matmul.js';
import { matmulSplit, pickVariant, tiledVariants, MAX_SPLIT, SPLIT_MATMUL_MIN_K } from '../src/devices/webgpu/variants.js';
import { closeness, randn, rng } from './helpers/gpu.js';
import { matmulCases } from './helpers/matmul-cases.js';
import { matmulRef } from './helpers/reference.js';
import { useForcedEnv } from './helpers/webgpu-env.js';

const r = rng(Date.now() & 0xffff);
const env = useForcedEnv({ kernels: 'tiled' });
const params = (m: number, n: number, k: number, flags = 0, row0 = 0, rows = 0) => packParams([m, n, k, flags, { f32: 1 }, { f32: 0 }, row0, rows]);

// [m, n, k]: S = 4 (one tile: k / 128 bounds it), 8, a slice not a whole number of 16-deep steps (k 1000, S 7), S 16 (the most)
const shapes = [[10, 70, 600], [67, 33, 1030], [9, 130, 1000], [5 * 32 + 3, 40, 4096]] as const;

describe('which matmuls split', () => {
  it('small grids with k >= SPLIT_MATMUL_MIN_K, whatever the slice; S from the whole problem', () => {
    expect(shapes.map(([m, n, k]) => matmulSplit(params(m, n, k)))).toEqual([4, 8, 7, MAX_SPLIT]);
    for (const [m, n, k] of shapes) expect(pickVariant(tiledVariants, 'matmul', params(m, n, k, 1, 3, 2))?.kernel).toBe('matmul_splitk32');
    expect(matmulSplit(params(4096, 64, 1024, 1))).toBe(4); // the MLP's first layer's weight gradient: 256 tiles of 32 x 32
    expect(matmulSplit(params(10, 4096, 1024, 1))).toBe(8); // its last layer's: 128 tiles
    expect(matmulSplit(params(67, 33, SPLIT_MATMUL_MIN_K - 1))).toBe(0);
    expect(pickVariant(tiledVariants, 'matmul', params(67, 33, SPLIT_MATMUL_MIN_K - 1))?.kernel).toBe('matmul_tiled32');
    expect(pickVariant(tiledVariants, 'matmul', params(1024, 1024, 4096))?.kernel).not.toBe('matmul_splitk32'); // a large grid
  });
});

describe('matmul_splitk32 + matmul_splitk_sum, the device\'s choice (vs float64)', () => {
  matmulCases(env, r, shapes, matmul);
});

describe('split-k time slices', () => {
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const)
    it(`beta = 1 accumulates; row slices are bit-identical to the whole (transA=${transA} transB=${transB})`, async () => {
      const [m, n, k] = [70, 37, 777];
      const a = randn(m * k, r);
      const b = randn(k * n, r);
      const c0 = randn(m * n, r);
      const [ua, ub, c] = [env.s.upload(a), env.s.upload(b), env.s.upload(c0)];
      const x: MatmulArgs = { a: ua, b: ub, c, m, n, k, transA, transB, alpha: 1.5, beta: 1 };
      env.dev.launch(matmul(x));
      const whole = await env.s.readF32(c, m * n);
      // atol 1e-4: 777 products a sum in float32, scaled by 1.5 and added to C, miss float64 by ~1e-5 where the sum cancels to near 0 (1e-5 failed 1 run in ~30)
      expect(closeness(whole, matmulRef(a, b, m, n, k, transA, transB, 1.5, 1, c0), 1e-4)).toBeLessThan(1);
      const parts = env.s.upload(c0);
      const launch = matmul({ ...x, c: parts });
      for (const [row0, rows] of [[0, 30], [30, 1], [31, 33], [64, 6]]) env.dev.launch(launch.slice!.at(row0, rows));
      expect(Array.from(await env.s.readF32(parts, m * n))).toEqual(Array.from(whole));
      await env.s.reset();
    });
});

describe('time-sliced training on the tiled kernels', () => {
  // k = the micro-batch, 600: the weight gradients 40 x 20 and 12 x 40 split (S = 4); widths multiples of 4: vec4 bias, ReLU, SGD
  const config: TrainConfig = { layers: [20, 40, 12], optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.001, effectiveBatch: 600, microBatch: 600, seed: 5 };
  it('sliced and unsliced training give bit-identical parameters and optimizer state', async () => {
    for (const [m, n] of [[40, 20], [12, 40]]) expect(pickVariant(tiledVariants, 'matmul', params(m, n, 600, 1))?.kernel).toBe('matmul_splitk32');
    const rd = rng(11);
    const data = { name: 'random', x: randn(600 * 20, rd), labels: Uint32Array.from({ length: 600 }, () => Math.floor(rd() * 12)), n: 600, features: 20, classes: 12 };
    const idx = Uint32Array.from({ length: 600 }, (_, i) => (i * 7) % 600);
    const got: Float32Array[][] = [];
    for (const sliced of [false, true]) {
      const arena = new Arena(env.dev, { bytes: 64 * 64 * 1024, pageBytes: 64 * 1024 });
      const slicing = sliced ? new SlicingPolicy({ clock: () => 0 }) : null; // a frozen clock: every matmul cut into probes
      if (slicing) slicing.forced = true;
      const gate = new Gate(env.dev, { maxInFlight: 2, slicing });
      const t = new Trainer(arena, gate, config);
      t.init();
      for (let s = 0; s < 3; s++) await t.step(data, idx);
      got.push([await t.readParameters(), ...(await t.readState())]);
      if (sliced) expect(gate.slices).toBeGreaterThan(10);
      arena.destroy();
    }
    expect(got[0]![0]!.some((x) => x !== 0 && Number.isFinite(x))).toBe(true);
    got[0]!.forEach((want, i) => expect(Buffer.from(got[1]![i]!.buffer)).toEqual(Buffer.from(want.buffer)));
  });
});
