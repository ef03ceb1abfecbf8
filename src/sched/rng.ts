// The scheduler's random draws: the project's one seeded generator
// (src/core/random.ts) and the Zipf popularity of the traces.
import type { Rng } from '../core/random.js';

export { Rng } from '../core/random.js';

/** Zipf(s) over ranks 1..n as a cumulative table; draw with `zipfDraw`. */
export function zipfTable(n: number, s: number): Float64Array {
  const c = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / Math.pow(k, s);
    c[k - 1] = sum;
  }
  for (let k = 0; k < n; k++) c[k]! /= sum;
  return c;
}

/** Index 0..n-1 (rank - 1) from a table built by `zipfTable`. */
export function zipfDraw(rng: Rng, table: Float64Array): number {
  const u = rng.uniform();
  let lo = 0;
  let hi = table.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
