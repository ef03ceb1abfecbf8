// The overlapping copy of the CUDA backend, cut into pieces no longer than the
// gap: run on a host array, it must equal a memmove for every overlap.
import { describe, expect, it } from 'vitest';
import { overlapPieces } from '../src/devices/cuda/gemm.js';
import { rng } from './helpers/gpu.js';

describe('overlapPieces', () => {
  it('moves like memmove for random overlapping ranges, in both directions', () => {
    const r = rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = 1 + Math.floor(r() * 200);
      const gap = 1 + Math.floor(r() * bytes);
      const down = r() < 0.5;
      const buf = Array.from({ length: bytes + gap }, (_, i) => i + 1000 * trial);
      const [src, dst] = down ? [gap, 0] : [0, gap];
      const want = [...buf];
      want.splice(dst, bytes, ...buf.slice(src, src + bytes));
      for (const [at, n] of overlapPieces(bytes, gap, down)) {
        expect(n).toBeLessThanOrEqual(gap);
        const o = Number(at);
        const piece = buf.slice(src + o, src + o + n);
        buf.splice(dst + o, n, ...piece);
      }
      expect(buf).toEqual(want);
    }
  });
});
