// One vitest case per shape and transpose pair: a matmul launch (made by `make`)
// against the float64 reference, its output NaN-poisoned first.
import { expect, it } from 'vitest';
import type { Launch } from '../../src/core/device.js';
import type { MatmulArgs } from '../../src/kernels/matmul.js';
import { closeness, randn } from './gpu.js';
import type { ForcedEnv } from './webgpu-env.js';
import { matmulRef } from './reference.js';

/**
 * Absolute tolerance for k float32 products of unit normals summed in any
 * order: the rounding error grows like sqrt(k) x eps x the terms' size, and an
 * output that cancels to near 0 has no relative slack (1e-5 flat failed k =
 * 4096 about once in 30 runs, 2026-12-03 CI). A wrong kernel misses by O(1).
 */
export function sumAtol(k: number): number {
  return Math.max(1e-5, 1.5e-6 * Math.sqrt(k));
}

export function matmulCases(env: ForcedEnv, r: () => number, shapes: readonly (readonly [number, number, number])[], make: (x: MatmulArgs) => Launch): void {
  for (const [m, n, k] of shapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, async () => {
        const a = randn(m * k, r);
        const b = randn(k * n, r);
        const c = env.s.poisoned(m * n);
        env.dev.launch(make({ a: env.s.upload(a), b: env.s.upload(b), c, m, n, k, transA, transB, alpha: 0.5 }));
        expect(closeness(await env.s.readF32(c, m * n), matmulRef(a, b, m, n, k, transA, transB, 0.5), sumAtol(k))).toBeLessThan(1);
        await env.s.reset();
      });
    }
  }
}
