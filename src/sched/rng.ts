// A small seeded random source (xoshiro128**, seeded through splitmix32) with
// the draws the traces and the simulation need. Same seed, same numbers, on
// every platform: no Math.random anywhere in src/sched.

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(readonly seed: number) {
    const sm = splitmix32(seed);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
  }

  private nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return r;
  }

  /** Uniform in [0, 1) with 53 bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in (0, 1]: safe for logarithms. */
  open(): number {
    return 1 - this.uniform();
  }

  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  exponential(rate: number): number {
    return -Math.log(this.open()) / rate;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.open()));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Independent stream for a named purpose (so adding draws in one place does not shift another). */
  fork(salt: number): Rng {
    return new Rng((Math.imul(this.seed ^ 0x5bd1e995, 31) + salt * 0x27d4eb2d) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

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
