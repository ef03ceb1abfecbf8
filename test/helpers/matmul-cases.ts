// One vitest case per shape and transpose pair: a matmul launch (made by `make`)
// against the float64 reference, its output NaN-poisoned first.
import { expect, it } from 'vitest';
import type { Launch } from '../../src/core/device.js';
import type { MatmulArgs } from '../../src/kernels/matmul.js';
import { closeness, randn } from './gpu.js';
import type { ForcedEnv } from './webgpu-env.js';
import { matmulRef } from './reference.js';

export function matmulCases(env: ForcedEnv, r: () => number, shapes: readonly (readonly [number, number, number])[], make: (x: MatmulArgs) => Launch): void {
  for (const [m, n, k] of shapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, async () => {
        const a = randn(m * k, r);
        const b = randn(k * n, r);
        const c = env.s.poisoned(m * n);
        env.dev.launch(make({ a: env.s.upload(a), b: env.s.upload(b), c, m, n, k, transA, transB, alpha: 0.5 }));
        expect(closeness(await env.s.readF32(c, m * n), matmulRef(a, b, m, n, k, transA, transB, 0.5))).toBeLessThan(1);
        await env.s.reset();
      });
    }
  }
}
