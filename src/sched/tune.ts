// The search over (T_idle, W): for every pair on a grid, the chain's SLO
// compliance averaged over a trace's intervals (weighted by requests), and the
// memory inference holds (the reserve W plus the models still warm, those used
// within T_idle). The choice is the pair that meets the compliance target with
// the least inference memory: what is left goes to training.
import { SchedParameterError } from './errors.js';
import { alphaFromWatermark, responseTable, solveChain, type ResponseTable } from './queueing.js';
import { perModelTable, solvePerModelChain } from './queueing-per-model.js';

export interface TuneInput {
  /** Arrival rate of each trace interval, requests per second (all models). */
  rates: number[];
  /** Bytes of each model instance. */
  modelBytes: number[];
  /** Share of requests per model (sums to 1); default uniform. */
  modelShares?: number[];
  execS: number;
  loadS: number;
  sloS: number;
  sloTarget: number;
  maxQueue?: number;
  tIdleGridS?: number[];
  watermarkGridBytes?: number[];
  /**
   * 'server' (the design's chain): a model expires when the server idles for T_idle.
   * 'model': each model expires when it is not requested for T_idle (queueing-per-model.ts).
   */
  expiry?: 'server' | 'model';
}

export interface TuneCandidate {
  tIdleS: number;
  watermarkBytes: number;
  alpha: number;
  compliance: number;
  coldStartRatio: number;
  /** Expected bytes inference holds: W plus the models warm within T_idle. */
  inferenceBytes: number;
  /** Largest truncation mass over the intervals (overloaded intervals make it large). */
  truncationMass: number;
}

export interface TuneResult {
  chosen: TuneCandidate;
  /** Whether `chosen` meets the target; if not, it is the cheapest within half a point of the best. */
  met: boolean;
  best: TuneCandidate;
  candidates: TuneCandidate[];
  totalModelBytes: number;
  meanRate: number;
}

export const DEFAULT_TIDLE_GRID_S = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

export function defaultWatermarkGrid(totalModelBytes: number, steps = 16): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => Math.round((totalModelBytes * i) / steps));
}

export type PredictInput = Omit<TuneInput, 'sloTarget' | 'tIdleGridS' | 'watermarkGridBytes'>;

interface Prepared {
  rates: number[];
  shares: number[];
  total: number;
  mu: number;
  K: number;
  table: ResponseTable | null;
  phases: Float64Array[] | null;
  sumRate: number;
}

function prepare(input: PredictInput): Prepared {
  const rates = input.rates.filter((r) => r > 0);
  if (rates.length === 0) throw new SchedParameterError('rates', input.rates.length, 'at least one interval with a positive rate');
  if (input.modelBytes.length === 0) throw new SchedParameterError('modelBytes', 0, 'at least one model');
  const n = input.modelBytes.length;
  const shares = input.modelShares ?? new Array<number>(n).fill(1 / n);
  if (shares.length !== n) throw new SchedParameterError('modelShares', shares.length, `${n} shares, one per model`);
  const mu = 1 / input.execS;
  const K = input.maxQueue ?? 400;
  const perModel = input.expiry === 'model';
  return {
    rates, shares, total: input.modelBytes.reduce((a, b) => a + b, 0), mu, K,
    table: perModel ? null : responseTable(mu, input.loadS, input.sloS, K),
    phases: perModel ? perModelTable(mu, input.loadS, input.sloS, K) : null,
    sumRate: rates.reduce((a, b) => a + b, 0),
  };
}

function warmBytes(input: PredictInput, p: Prepared, tIdleS: number): number {
  let w = 0;
  for (const lambda of p.rates) for (let m = 0; m < p.shares.length; m++) w += input.modelBytes[m]! * (1 - Math.exp(-lambda * p.shares[m]! * tIdleS));
  return w / p.rates.length;
}

function evaluate(input: PredictInput, p: Prepared, tIdleS: number, watermarkBytes: number, warm: number): TuneCandidate {
  const alpha = alphaFromWatermark(watermarkBytes, p.total);
  let compliance = 0;
  let cold = 0;
  let trunc = 0;
  for (const lambda of p.rates) {
    const chain = { lambda, mu: p.mu, alpha, loadS: input.loadS, tIdleS, sloS: input.sloS, maxQueue: p.K };
    const s = p.phases ? solvePerModelChain({ ...chain, shares: p.shares }, p.phases) : solveChain(chain, p.table!);
    compliance += (lambda / p.sumRate) * s.compliance;
    cold += (lambda / p.sumRate) * s.coldStartRatio;
    trunc = Math.max(trunc, s.truncationMass);
  }
  return { tIdleS, watermarkBytes, alpha, compliance, coldStartRatio: cold, inferenceBytes: Math.min(p.total, watermarkBytes + warm), truncationMass: trunc };
}

/** The chain's prediction for one configuration (e.g. to set beside a measured run). */
export function predict(input: PredictInput & { tIdleS: number; watermarkBytes: number }): TuneCandidate {
  const p = prepare(input);
  return evaluate(input, p, input.tIdleS, input.watermarkBytes, warmBytes(input, p, input.tIdleS));
}

export function tune(input: TuneInput): TuneResult {
  if (!(input.sloTarget > 0 && input.sloTarget <= 1)) throw new SchedParameterError('sloTarget', input.sloTarget, 'a fraction in (0, 1]');
  const p = prepare(input);
  const tGrid = input.tIdleGridS ?? DEFAULT_TIDLE_GRID_S;
  const wGrid = input.watermarkGridBytes ?? defaultWatermarkGrid(p.total);
  const candidates: TuneCandidate[] = [];
  for (const tIdleS of tGrid) {
    const warm = warmBytes(input, p, tIdleS);
    for (const w of wGrid) candidates.push(evaluate(input, p, tIdleS, w, warm));
  }
  const cheapest = (pool: TuneCandidate[]) =>
    pool.reduce((a, b) => (b.inferenceBytes < a.inferenceBytes - 1e-6 || (Math.abs(b.inferenceBytes - a.inferenceBytes) <= 1e-6 && b.compliance > a.compliance) ? b : a));
  const best = candidates.reduce((a, b) => (b.compliance > a.compliance ? b : a));
  const feasible = candidates.filter((c) => c.compliance >= input.sloTarget);
  const met = feasible.length > 0;
  const chosen = met ? cheapest(feasible) : cheapest(candidates.filter((c) => c.compliance >= best.compliance - 0.005));
  return { chosen, met, best, candidates, totalModelBytes: p.total, meanRate: p.sumRate / input.rates.length };
}

export interface HandoverBudget {
  /** Training time one handover costs (the require's stall plus the discarded micro-batch), ms. */
  handoverMs: number;
  /** Largest share of training time handovers may take (e.g. 0.01). */
  maxTrainShare: number;
  /** Most candidates to replay before giving up (cheapest first). */
  maxReplays?: number;
}

export interface BudgetedChoice {
  chosen: TuneCandidate;
  /** Handovers per second of the chosen pair, from the policy replay. */
  handoversPerSec: number;
  /** Share of training time the handovers take. */
  trainShare: number;
  met: boolean;
  replays: number;
}

/**
 * Among the pairs that meet the compliance target (or, if none does, those
 * within half a point of the best), the cheapest whose handovers, measured by
 * replaying the core on the trace, stay within the training-time budget.
 */
export async function tuneWithHandovers(
  result: TuneResult,
  sloTarget: number,
  budget: HandoverBudget,
  replay: (c: TuneCandidate) => Promise<{ handoversPerSec: number }>,
): Promise<BudgetedChoice> {
  const pool = (result.met ? result.candidates.filter((c) => c.compliance >= sloTarget) : result.candidates.filter((c) => c.compliance >= result.best.compliance - 0.005))
    .slice()
    .sort((a, b) => a.inferenceBytes - b.inferenceBytes || b.compliance - a.compliance);
  const limit = budget.maxReplays ?? 40;
  let fallback: BudgetedChoice | null = null;
  let replays = 0;
  for (const c of pool.slice(0, limit)) {
    const { handoversPerSec } = await replay(c);
    replays++;
    const trainShare = (handoversPerSec * budget.handoverMs) / 1000;
    const choice = { chosen: c, handoversPerSec, trainShare, met: trainShare <= budget.maxTrainShare, replays };
    if (choice.met) return { ...choice, replays };
    if (!fallback || trainShare < fallback.trainShare) fallback = choice;
  }
  return { ...fallback!, replays };
}
