// Splitting the effective batch across ranks by their measured throughput, so
// that ranks under heavy inference get fewer samples and all finish together.

export interface RankLoad {
  /** Measured samples per second of gradient computation (EMA). */
  samplesPerSec: number;
  /** Largest micro-batch the rank's memory allows now (0: paused). */
  microBatch: number;
}

/**
 * Shares of `effective` samples, proportional to throughput, summing exactly
 * to `effective` (largest remainders). If any rank can run nothing, no rank
 * gets work: every rank makes progress or none does.
 */
export function splitBatch(effective: number, ranks: readonly RankLoad[]): number[] {
  if (!Number.isInteger(effective) || effective < 0) throw new RangeError(`effective batch must be a non-negative integer, got ${effective}`);
  if (ranks.length === 0) throw new RangeError('no ranks');
  if (ranks.some((r) => r.microBatch <= 0)) return ranks.map(() => 0);
  const speeds = ranks.map((r) => (Number.isFinite(r.samplesPerSec) && r.samplesPerSec > 0 ? r.samplesPerSec : 0));
  const total = speeds.reduce((s, v) => s + v, 0);
  const weights = total > 0 ? speeds.map((v) => v / total) : ranks.map(() => 1 / ranks.length);
  const exact = weights.map((w) => w * effective);
  const shares = exact.map(Math.floor);
  let left = effective - shares.reduce((s, v) => s + v, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) shares[order[k]![1]]! += 1;
  return shares;
}

/** Exponential moving average of a rank's throughput. */
export class ThroughputMeter {
  private ema = 0;
  private seen = false;
  constructor(private readonly alpha = 0.3) {}

  record(samples: number, seconds: number): void {
    if (seconds <= 0 || samples <= 0) return;
    const v = samples / seconds;
    this.ema = this.seen ? this.alpha * v + (1 - this.alpha) * this.ema : v;
    this.seen = true;
  }

  get samplesPerSec(): number {
    return this.ema;
  }
}

/** Seconds a step takes: the slowest rank's share over its speed. */
export function stepSeconds(shares: readonly number[], speeds: readonly number[]): number {
  return Math.max(...shares.map((s, i) => (s === 0 ? 0 : s / speeds[i]!)));
}
