// Seeded request traces as the design's evaluation gives them: 20 s intervals,
// a LogNormal request rate per interval, Poisson arrivals within an interval,
// and a model per request (uniform over N instances, or Zipf(1.05) for SKEWED).
// A time scale > 1 compresses the trace (rates multiply, times divide).
import { SchedParameterError } from './errors.js';
import { Rng, zipfDraw, zipfTable } from './rng.js';

export type TraceKind = 'light' | 'heavy' | 'burst' | 'skewed';
export const TRACE_KINDS: readonly TraceKind[] = ['light', 'heavy', 'burst', 'skewed'];

/** LogNormal(mu, sigma) of the per-interval request rate (requests per second). */
export const LIGHT = { mu: 1, sigma: 1 } as const;
export const HEAVY = { mu: 4.5, sigma: 0.3 } as const;
/** Share of LIGHT intervals in BURST and SKEWED. */
export const BURST_LIGHT_SHARE = 0.7;
export const ZIPF_EXPONENT = 1.05;

export interface Arrival {
  /** Seconds from the trace start. */
  t: number;
  /** Model instance index, 0..models-1 (for SKEWED, 0 is the most popular). */
  model: number;
}

export interface TraceSpec {
  kind: TraceKind;
  seed: number;
  /** Seconds, before time scaling. */
  durationS?: number;
  intervalS?: number;
  models?: number;
  /** > 1 compresses time: a 300 s trace at scale 12 lasts 25 s with 12x the rates. */
  timeScale?: number;
}

export interface Trace {
  name: string;
  durationS: number;
  intervalS: number;
  models: number;
  timeScale: number;
  /** Rate drawn for each interval, requests per second (after scaling). */
  rates: number[];
  /** 'light' or 'heavy' per interval. */
  regimes: ('light' | 'heavy')[];
  arrivals: Arrival[];
}

function lognormalMean(p: { mu: number; sigma: number }): number {
  return Math.exp(p.mu + (p.sigma * p.sigma) / 2);
}

/** The expected rate of a trace kind (requests per second, unscaled). */
export function expectedRate(kind: TraceKind): number {
  if (kind === 'light') return lognormalMean(LIGHT);
  if (kind === 'heavy') return lognormalMean(HEAVY);
  return BURST_LIGHT_SHARE * lognormalMean(LIGHT) + (1 - BURST_LIGHT_SHARE) * lognormalMean(HEAVY);
}

/** Variance of one interval's rate (for sampling-error bounds in tests and reports). */
export function rateVariance(kind: TraceKind): number {
  const v = (p: { mu: number; sigma: number }) => (Math.exp(p.sigma * p.sigma) - 1) * Math.exp(2 * p.mu + p.sigma * p.sigma);
  if (kind === 'light') return v(LIGHT);
  if (kind === 'heavy') return v(HEAVY);
  const m2 = (p: { mu: number; sigma: number }) => v(p) + lognormalMean(p) ** 2;
  const e2 = BURST_LIGHT_SHARE * m2(LIGHT) + (1 - BURST_LIGHT_SHARE) * m2(HEAVY);
  return e2 - expectedRate(kind) ** 2;
}

function check(spec: Required<TraceSpec>): void {
  if (!TRACE_KINDS.includes(spec.kind)) throw new SchedParameterError('trace', spec.kind, TRACE_KINDS.join(', '));
  if (!(spec.durationS > 0)) throw new SchedParameterError('durationS', spec.durationS, 'a positive number of seconds');
  if (!(spec.intervalS > 0)) throw new SchedParameterError('intervalS', spec.intervalS, 'a positive number of seconds');
  if (!Number.isInteger(spec.models) || spec.models < 1) throw new SchedParameterError('models', spec.models, 'a positive integer');
  if (!(spec.timeScale > 0)) throw new SchedParameterError('timeScale', spec.timeScale, 'a positive factor');
}

/** Per-interval regimes and unscaled rates only (no arrivals): cheap, for the tuner. */
export function drawRates(kind: TraceKind, intervals: number, seed: number): { rates: number[]; regimes: ('light' | 'heavy')[] } {
  const rng = new Rng(seed).fork(1);
  const rates: number[] = [];
  const regimes: ('light' | 'heavy')[] = [];
  for (let i = 0; i < intervals; i++) {
    const regime = kind === 'light' ? 'light' : kind === 'heavy' ? 'heavy' : rng.uniform() < BURST_LIGHT_SHARE ? 'light' : 'heavy';
    const p = regime === 'light' ? LIGHT : HEAVY;
    regimes.push(regime);
    rates.push(rng.logNormal(p.mu, p.sigma));
  }
  return { rates, regimes };
}

export function generateTrace(input: TraceSpec): Trace {
  const spec: Required<TraceSpec> = { durationS: 300, intervalS: 20, models: 1, timeScale: 1, ...input };
  check(spec);
  const intervals = Math.ceil(spec.durationS / spec.intervalS - 1e-9);
  const { rates, regimes } = drawRates(spec.kind, intervals, spec.seed);
  const arrivalsRng = new Rng(spec.seed).fork(2);
  const modelRng = new Rng(spec.seed).fork(3);
  const zipf = spec.kind === 'skewed' ? zipfTable(spec.models, ZIPF_EXPONENT) : null;
  const arrivals: Arrival[] = [];
  for (let i = 0; i < intervals; i++) {
    const start = i * spec.intervalS;
    const end = Math.min(spec.durationS, start + spec.intervalS);
    let t = start + arrivalsRng.exponential(rates[i]!);
    while (t < end) {
      const model = zipf ? zipfDraw(modelRng, zipf) : modelRng.int(spec.models);
      arrivals.push({ t: t / spec.timeScale, model });
      t += arrivalsRng.exponential(rates[i]!);
    }
  }
  return {
    name: spec.kind,
    durationS: spec.durationS / spec.timeScale,
    intervalS: spec.intervalS / spec.timeScale,
    models: spec.models,
    timeScale: spec.timeScale,
    rates: rates.map((r) => r * spec.timeScale),
    regimes,
    arrivals,
  };
}

/** Requests per second over the whole trace. */
export function observedRate(trace: Trace): number {
  return trace.arrivals.length / trace.durationS;
}

/**
 * Replays a trace against a clock: calls `onArrival` at each arrival time
 * (scaled by `speed`) until the trace ends or `signal` aborts.
 */
export async function playTrace(
  trace: Trace,
  onArrival: (a: Arrival, index: number) => void,
  opts: { speed?: number; signal?: AbortSignal; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<number> {
  const speed = opts.speed ?? 1;
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const t0 = now();
  let i = 0;
  for (; i < trace.arrivals.length; i++) {
    if (opts.signal?.aborted) break;
    const a = trace.arrivals[i]!;
    const due = t0 + (a.t * 1000) / speed;
    // Never early: Node truncates a timer's delay to whole milliseconds, so sleep again until it is due
    // (a request fired before its arrival would count less than its own latency).
    for (let wait = due - now(); wait > 0; wait = due - now()) await sleep(Math.ceil(wait));
    onArrival(a, i);
  }
  return i;
}
