// The queueing model of SLO-aware reallocation (design, "SLO-aware
// reallocation"): one server, Poisson arrivals (lambda), execution ~ Exp(mu),
// and a cold start ~ Exp(1/L) that an arrival pays with probability alpha when
// it finds its model expired (idle longer than T_idle, expiry rate 1/T_idle).
//
// States (x, warm|cold): x requests in the system; "cold" at x = 0 means the
// idle model expired, at x >= 1 that the head request is re-initialising.
//   (0,W) -> (0,C)            rate 1/T_idle
//   (0,W) -> (1,W)            rate lambda
//   (0,C) -> (1,C) | (1,W)    rate lambda*alpha | lambda*(1-alpha)
//   (x,s) -> (x+1,s)          rate lambda, 1 <= x < K (arrivals at K are lost)
//   (x,C) -> (x,W)            rate 1/L, x >= 1
//   (x,W) -> (x-1,W)          rate mu, x >= 1
// Downward moves leave only warm states, so the level cut and the cold-state
// balances give the stationary law in O(K) without a linear solve. An arrival
// sees the stationary law (PASTA); its response is hypoexponential:
//   (x,W): Erlang(x+1, mu); (x,C), x >= 1: Exp(1/L) + Erlang(x+1, mu);
//   (0,C): the cold form with probability alpha, else the warm one.
// SLO compliance = sum_s P(s) P(response <= SLO | s); a lost arrival misses.
import { SchedParameterError } from './errors.js';

export interface ChainParams {
  /** Arrivals per second. */
  lambda: number;
  /** Executions per second (1 / mean execution time). */
  mu: number;
  /** Probability that an arrival finding its model expired pays a cold start. */
  alpha: number;
  /** Mean re-initialisation (cold start) time L, seconds. */
  loadS: number;
  /** Idle time before a model is released to the reserve, seconds (Infinity: never). */
  tIdleS: number;
  sloS: number;
  /** Truncation: most requests in the system (default 400). */
  maxQueue?: number;
}

export interface ResponseTable {
  mu: number;
  loadS: number;
  sloS: number;
  /** P(Erlang(x+1, mu) <= SLO), x = 0..K. */
  warm: Float64Array;
  /** P(Exp(1/L) + Erlang(x+1, mu) <= SLO), x = 0..K. */
  cold: Float64Array;
}

export interface ChainSolution {
  params: ChainParams;
  maxQueue: number;
  /** P(x, warm) and P(x, cold), x = 0..K; together they sum to 1. */
  warm: Float64Array;
  cold: Float64Array;
  /** P(x = K): the mass at the truncation boundary (arrivals there are lost). */
  truncationMass: number;
  compliance: number;
  /** Cold starts per arrival. */
  coldStartRatio: number;
  meanResponseS: number;
}

export const DEFAULT_MAX_QUEUE = 400;

/** Cold-start probability from the watermark: alpha ~ 1 - W / total model bytes. */
export function alphaFromWatermark(watermarkBytes: number, totalModelBytes: number): number {
  if (!(totalModelBytes > 0)) return 0;
  return Math.min(1, Math.max(0, 1 - watermarkBytes / totalModelBytes));
}

/** P(Poisson(m) >= n) for n = 0..N, by the pmf recursion (1 - prefix sums, clamped). */
function poissonTails(m: number, N: number, out: Float64Array): void {
  let pmf = Math.exp(-m);
  let cdf = 0;
  for (let n = 0; n <= N; n++) {
    out[n] = Math.max(0, 1 - cdf);
    cdf += pmf;
    pmf *= m / (n + 1);
  }
}

/** Per-state probabilities of meeting the SLO, for x = 0..K requests ahead-or-in-service. */
export function responseTable(mu: number, loadS: number, sloS: number, maxQueue = DEFAULT_MAX_QUEUE): ResponseTable {
  const K = maxQueue;
  const warm = new Float64Array(K + 1);
  const cold = new Float64Array(K + 1);
  const tails = new Float64Array(K + 2);
  // Erlang(n, mu) <= t  <=>  Poisson(mu t) >= n.
  poissonTails(mu * sloS, K + 1, tails);
  for (let x = 0; x <= K; x++) warm[x] = tails[x + 1]!;
  if (!(loadS > 0)) {
    cold.set(warm);
    return { mu, loadS, sloS, warm, cold };
  }
  // P(X + Y <= t), X ~ Exp(a): substitute v = 1 - e^{-a s} so the integrand is
  // smooth for any a: integral over v in [0, 1 - e^{-a t}] of P(Y <= t + ln(1-v)/a).
  const a = 1 / loadS;
  const vMax = 1 - Math.exp(-a * sloS);
  const steps = 512;
  const h = vMax / steps;
  for (let j = 0; j <= steps; j++) {
    const v = j * h;
    const s = j === steps ? sloS : -Math.log(1 - v) / a;
    poissonTails(mu * Math.max(0, sloS - s), K + 1, tails);
    const w = (j === 0 || j === steps ? 1 : j % 2 === 1 ? 4 : 2) * (h / 3);
    for (let x = 0; x <= K; x++) cold[x]! += w * tails[x + 1]!;
  }
  return { mu, loadS, sloS, warm, cold };
}

function check(p: ChainParams): void {
  const pos = (name: string, v: number) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new SchedParameterError(name, v, 'a positive finite number');
  };
  if (!(p.lambda >= 0) || !Number.isFinite(p.lambda)) throw new SchedParameterError('lambda', p.lambda, 'a finite rate >= 0');
  pos('mu', p.mu);
  pos('sloS', p.sloS);
  if (!(p.alpha >= 0 && p.alpha <= 1)) throw new SchedParameterError('alpha', p.alpha, 'a probability in [0, 1]');
  if (!(p.loadS >= 0) || !Number.isFinite(p.loadS)) throw new SchedParameterError('loadS', p.loadS, 'seconds >= 0');
  if (!(p.tIdleS > 0)) throw new SchedParameterError('tIdleS', p.tIdleS, 'seconds > 0 (Infinity: never expire)');
  const K = p.maxQueue ?? DEFAULT_MAX_QUEUE;
  if (!Number.isInteger(K) || K < 1) throw new SchedParameterError('maxQueue', K, 'a positive integer');
}

export function solveChain(p: ChainParams, table?: ResponseTable): ChainSolution {
  check(p);
  const K = p.maxQueue ?? DEFAULT_MAX_QUEUE;
  const tab = table && table.mu === p.mu && table.loadS === p.loadS && table.sloS === p.sloS && table.warm.length >= K + 1 ? table : responseTable(p.mu, p.loadS, p.sloS, K);
  const { lambda, mu } = p;
  const alpha = p.loadS > 0 ? p.alpha : 0;
  const expiry = Number.isFinite(p.tIdleS) ? 1 / p.tIdleS : 0;
  const warm = new Float64Array(K + 1);
  const cold = new Float64Array(K + 1);
  warm[0] = 1;
  // (0,C): in = P(0,W)/T_idle, out = lambda P(0,C). With lambda = 0 every idle model expires.
  if (lambda === 0) {
    warm[0] = expiry > 0 ? 0 : 1;
    cold[0] = expiry > 0 ? 1 : 0;
  } else cold[0] = (warm[0]! * expiry) / lambda;
  for (let x = 0; x < K; x++) {
    warm[x + 1] = (lambda * (warm[x]! + cold[x]!)) / mu;
    if (p.loadS > 0) {
      const inflow = lambda * (x === 0 ? alpha : 1) * cold[x]!;
      const out = 1 / p.loadS + (x + 1 < K ? lambda : 0);
      cold[x + 1] = inflow / out;
    }
    const big = warm[x + 1]! + cold[x + 1]!;
    if (big > 1e200) {
      for (let y = 0; y <= x + 1; y++) {
        warm[y]! /= big;
        cold[y]! /= big;
      }
    }
  }
  let total = 0;
  for (let x = 0; x <= K; x++) total += warm[x]! + cold[x]!;
  for (let x = 0; x <= K; x++) {
    warm[x]! /= total;
    cold[x]! /= total;
  }
  let compliance = 0;
  let meanResponse = 0;
  let served = 0;
  for (let x = 0; x < K; x++) {
    const pw = warm[x]!;
    const pc = cold[x]!;
    const coldShare = x === 0 ? alpha : 1;
    compliance += pw * tab.warm[x]! + pc * (coldShare * tab.cold[x]! + (1 - coldShare) * tab.warm[x]!);
    meanResponse += (pw + pc) * ((x + 1) / mu) + pc * coldShare * p.loadS;
    served += pw + pc;
  }
  const truncationMass = warm[K]! + cold[K]!;
  return {
    params: p,
    maxQueue: K,
    warm,
    cold,
    truncationMass,
    compliance,
    coldStartRatio: cold[0]! * alpha,
    meanResponseS: served > 0 ? meanResponse / served : Infinity,
  };
}

/** Compliance only (the search's inner loop). */
export function predictCompliance(p: ChainParams, table?: ResponseTable): number {
  return solveChain(p, table).compliance;
}
