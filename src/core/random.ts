// The project's one seeded random generator (Mulberry32): the data order, the
// initial parameters, test data, sampled tokens, random model inputs and the
// scheduler's traces all draw from it. Same seed, same numbers, on every
// platform; no Math.random where results must repeat.

/** Mulberry32: a 32-bit state; each call gives the next 32-bit word. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in [0, 1) with 32 bits, as a plain function (data order, parameters, inputs, sampling). */
export function seeded(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** The same generator with the draws the traces and the simulation need. */
export class Rng {
  private readonly next: () => number;
  private spare: number | null = null;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  private nextU32(): number {
    return this.next();
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
