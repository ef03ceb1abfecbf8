// The chain with per-model expiry: a model expires when *it* has not been
// requested for T_idle (not when the whole server idles), so an arrival for
// model m finds it expired with probability q_m = P(T_idle-timer < time since
// m's last arrival): e^{-lambda_m T} for a fixed T_idle (default), or
// (1/T)/(lambda_m + 1/T) for an exponential timer. It then pays a cold
// start with probability alpha: p = alpha * sum_m share_m q_m per request.
//
// States: 0 (empty) and (x, L|E), x >= 1: the head request loading or executing.
//   0 -> (1,L) | (1,E)               lambda p | lambda (1-p)
//   (x,s) -> (x+1,s)                 lambda, x < K
//   (x,L) -> (x,E)                   1/L
//   (x,E) -> (x-1,L) | (x-1,E) | 0   mu p | mu (1-p) (x >= 2) | mu (x = 1)
// Only executing states move down, so the level cut gives
// mu pi(x+1,E) = lambda pi(x), and the loading balance then closes forward:
// O(K). An arrival in (x,E) waits for x+1 executions and Binomial(x, p)
// loads; in (x,L) for one load more.
import { SchedParameterError } from './errors.js';
import { DEFAULT_MAX_QUEUE, type ChainSolution } from './queueing.js';

export interface PerModelChainParams {
  lambda: number;
  mu: number;
  alpha: number;
  loadS: number;
  tIdleS: number;
  sloS: number;
  /** Share of requests per model (sums to 1). */
  shares: number[];
  /**
   * The idle timer: 'deterministic' (default: T_idle as the core runs it; the timer is not a
   * chain state, only the marginal q_m enters) or 'exponential'.
   */
  timer?: 'exponential' | 'deterministic';
  maxQueue?: number;
}

/** Probability that a request pays a cold start. */
export function coldProbability(p: Pick<PerModelChainParams, 'lambda' | 'alpha' | 'tIdleS' | 'shares' | 'timer'>): number {
  if (!Number.isFinite(p.tIdleS)) return 0;
  let q = 0;
  for (const s of p.shares) {
    const lm = p.lambda * s;
    q += s * (p.timer === 'exponential' ? 1 / p.tIdleS / (lm + 1 / p.tIdleS) : Math.exp(-lm * p.tIdleS));
  }
  return p.alpha * q;
}

function logFactorials(n: number): Float64Array {
  const f = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) f[i] = f[i - 1]! + Math.log(i);
  return f;
}

/**
 * G[b][a] = P(Erlang(b, nu) + Erlang(a, mu) <= t) for a = 0..A, b = 0..B, by
 * uniformization: phases b loads then a executions, one DP over steps per b.
 */
export function phaseTable(mu: number, loadS: number, t: number, A: number, B: number): Float64Array[] {
  const nu = loadS > 0 ? 1 / loadS : Infinity;
  const q = Math.max(mu, Number.isFinite(nu) ? nu : 0);
  const qt = q * t;
  const N = Math.ceil(qt + 12 * Math.sqrt(qt) + 30);
  const lf = logFactorials(N);
  const pois = new Float64Array(N + 1);
  for (let n = 0; n <= N; n++) pois[n] = Math.exp(-qt + (qt > 0 ? n * Math.log(qt) : n === 0 ? 0 : -Infinity) - lf[n]!);
  const out: Float64Array[] = [];
  for (let b = 0; b <= B; b++) {
    const row = new Float64Array(A + 1);
    if (b > 0 && !Number.isFinite(nu)) {
      out.push(row.fill(0)); // no load time: never used (p = 0 when L = 0)
      continue;
    }
    const J = b + A; // phases; dist[j] = P(j phases done after n steps)
    let dist = new Float64Array(J + 1);
    dist[0] = 1;
    const done = new Float64Array(J + 1); // sum_n pois(n) P(J_n >= j)
    for (let n = 0; n <= N; n++) {
      // P(J_n >= j) for all j: suffix sums
      let suffix = 0;
      for (let j = J; j >= 0; j--) {
        suffix += dist[j]!;
        done[j]! += pois[n]! * suffix;
      }
      const next = new Float64Array(J + 1);
      for (let j = 0; j <= J; j++) {
        const pj = dist[j]!;
        if (pj === 0) continue;
        if (j === J) {
          next[j]! += pj;
          continue;
        }
        const rate = j < b ? nu : mu;
        const adv = rate / q;
        next[j + 1]! += pj * adv;
        next[j]! += pj * (1 - adv);
      }
      dist = next;
    }
    for (let a = 0; a <= A; a++) row[a] = Math.min(1, done[b + a]!);
    out.push(row);
  }
  return out;
}

/** Executions (A) and loads (B) beyond which P(response <= SLO) is negligible (< 1e-12). */
function tableSize(mu: number, loadS: number, sloS: number, K: number): { A: number; B: number } {
  const m = mu * sloS;
  const n = loadS > 0 ? sloS / loadS : 0;
  return { A: Math.min(K + 1, Math.ceil(m + 12 * Math.sqrt(m) + 30)), B: loadS > 0 ? Math.min(K + 1, Math.ceil(n + 12 * Math.sqrt(n) + 10)) : 0 };
}

/** The response table for solvePerModelChain, to share across solves with the same mu, L and SLO. */
export function perModelTable(mu: number, loadS: number, sloS: number, maxQueue = DEFAULT_MAX_QUEUE): Float64Array[] {
  const { A, B } = tableSize(mu, loadS, sloS, maxQueue);
  return phaseTable(mu, loadS, sloS, A, B);
}

export function solvePerModelChain(p: PerModelChainParams, table?: Float64Array[]): ChainSolution {
  if (!(p.lambda > 0) || !(p.mu > 0) || !(p.sloS > 0)) throw new SchedParameterError('lambda, mu, sloS', [p.lambda, p.mu, p.sloS].join(', '), 'positive numbers');
  if (!(p.alpha >= 0 && p.alpha <= 1)) throw new SchedParameterError('alpha', p.alpha, 'a probability in [0, 1]');
  const sum = p.shares.reduce((a, b) => a + b, 0);
  if (!(Math.abs(sum - 1) < 1e-9)) throw new SchedParameterError('shares', sum, 'shares summing to 1');
  const K = p.maxQueue ?? DEFAULT_MAX_QUEUE;
  const { lambda, mu } = p;
  const pc = p.loadS > 0 ? coldProbability(p) : 0;
  const nu = p.loadS > 0 ? 1 / p.loadS : 0;
  const E = new Float64Array(K + 1); // E[0] holds the empty state
  const L = new Float64Array(K + 1);
  E[0] = 1;
  for (let x = 1; x <= K; x++) {
    E[x] = (lambda * (E[x - 1]! + L[x - 1]!)) / mu;
    if (pc > 0) {
      const up = x < K ? lambda : 0;
      const inflow = (x === 1 ? lambda * pc * E[0]! : lambda * L[x - 1]!) + pc * up * E[x]!;
      L[x] = inflow / (up + nu - pc * up);
    }
    const big = E[x]! + L[x]!;
    if (big > 1e200) for (let y = 0; y <= x; y++) (E[y]! /= big), (L[y]! /= big);
  }
  let total = 0;
  for (let x = 0; x <= K; x++) total += E[x]! + L[x]!;
  for (let x = 0; x <= K; x++) (E[x]! /= total), (L[x]! /= total);

  const { A, B } = tableSize(mu, p.loadS, p.sloS, K);
  const G = table && table.length > B && table[0]!.length > A ? table : phaseTable(mu, p.loadS, p.sloS, A, B);
  const g = (b: number, a: number) => (a > A || b > B ? 0 : G[b]![a]!);
  let compliance = 0;
  let meanResponse = 0;
  let served = 0;
  for (let x = 0; x < K; x++) {
    // loads ahead among x requests (x-1 queued behind the head, plus this one): Binomial(n, pc)
    const n = x === 0 ? 1 : x;
    let pmf = Math.pow(1 - pc, n);
    let fE = 0;
    let fL = 0;
    for (let k = 0; k <= Math.min(n, B); k++) {
      fE += pmf * g(k, x + 1);
      fL += pmf * g(k + 1, x + 1);
      pmf *= pc < 1 ? ((n - k) / (k + 1)) * (pc / (1 - pc)) : 0;
    }
    if (pc === 1) (fE = g(n, x + 1)), (fL = g(n + 1, x + 1));
    const pe = E[x]!;
    const pl = L[x]!;
    compliance += pe * fE + (x >= 1 ? pl * fL : 0);
    meanResponse += (pe + pl) * ((x + 1) / mu + n * pc * p.loadS) + (x >= 1 ? pl * p.loadS : 0);
    served += pe + pl;
  }
  return {
    params: { lambda, mu, alpha: p.alpha, loadS: p.loadS, tIdleS: p.tIdleS, sloS: p.sloS, maxQueue: K },
    maxQueue: K,
    warm: E,
    cold: L,
    truncationMass: E[K]! + L[K]!,
    compliance,
    coldStartRatio: pc * (1 - E[K]! - L[K]!),
    meanResponseS: served > 0 ? meanResponse / served : Infinity,
  };
}
