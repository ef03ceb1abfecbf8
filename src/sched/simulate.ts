// A discrete-event simulation of the queueing model's assumptions (one
// server, Poisson arrivals, a cold start with probability alpha for an arrival
// that finds its model expired), seeded. Expiry is either the server's (the
// idle server's model expires after T_idle: the chain of queueing.ts) or each
// model's own (no request for that model for T_idle: queueing-per-model.ts).
// With every distribution exponential it is the chain run forward in time: the
// two must agree. Deterministic execution, load and expiry (closer to a real
// GPU) show what the chain's exponential stages cost.
import { SchedParameterError } from './errors.js';
import { DEFAULT_MAX_QUEUE, type ChainParams } from './queueing.js';
import { Rng } from './rng.js';

export type Dist = 'exponential' | 'deterministic';

export interface SimParams extends ChainParams {
  seed: number;
  /** Arrivals to simulate (after warm-up). */
  requests: number;
  /** Arrivals dropped from the statistics at the start (default requests / 20). */
  warmup?: number;
  exec?: Dist;
  load?: Dist;
  expiry?: Dist;
  /** Per-model expiry: the models' request shares (sums to 1). Absent: the server's expiry. */
  shares?: number[];
}

export interface SimResult {
  arrivals: number;
  served: number;
  lost: number;
  coldStarts: number;
  compliance: number;
  coldStartRatio: number;
  meanResponseS: number;
  p99S: number;
}

interface Req {
  at: number;
  index: number;
  cold: boolean;
}

export function simulate(p: SimParams): SimResult {
  if (!Number.isInteger(p.requests) || p.requests < 1) throw new SchedParameterError('requests', p.requests, 'a positive integer');
  if (!(p.lambda > 0)) throw new SchedParameterError('lambda', p.lambda, 'a positive rate');
  const K = p.maxQueue ?? DEFAULT_MAX_QUEUE;
  const warmup = p.warmup ?? Math.floor(p.requests / 20);
  const total = p.requests + warmup;
  const rArr = new Rng(p.seed).fork(11);
  const rSvc = new Rng(p.seed).fork(12);
  const rCold = new Rng(p.seed).fork(13);
  const draw = (d: Dist | undefined, mean: number) => (d === 'deterministic' ? mean : rSvc.exponential(1 / mean));
  const expiryDraw = () => (p.expiry === 'deterministic' ? p.tIdleS : rCold.exponential(1 / p.tIdleS));
  const execS = 1 / p.mu;
  const alpha = p.loadS > 0 ? p.alpha : 0;
  const cdf = p.shares ? p.shares.map(((acc) => (s: number) => (acc += s))(0)) : null;
  const lastArrival = cdf ? new Array<number>(cdf.length).fill(-Infinity) : [];

  const queue: Req[] = []; // requests in the system, head (index `head`) in service
  let head = 0;
  let idleCold = false; // server expiry: the idle server's model has expired
  let loading = false;
  let serviceEnd = Infinity;
  let expiryAt = Infinity;
  let nextArrival = rArr.exponential(p.lambda);
  let arrived = 0;
  let served = 0;
  let lost = 0;
  let met = 0;
  let coldStarts = 0;
  let sumResponse = 0;
  const responses: number[] = [];

  const armExpiry = (t: number) => {
    expiryAt = cdf || !Number.isFinite(p.tIdleS) ? Infinity : t + expiryDraw();
  };
  const startService = (t: number) => {
    const r = queue[head]!;
    loading = r.cold;
    if (r.cold && r.index >= warmup) coldStarts++;
    serviceEnd = t + (r.cold ? draw(p.load, p.loadS) : draw(p.exec, execS));
  };
  armExpiry(0);

  while (arrived < total || queue.length - head > 0) {
    const tA = arrived < total ? nextArrival : Infinity;
    const t = Math.min(tA, serviceEnd, expiryAt);
    if (t === expiryAt) {
      idleCold = true;
      expiryAt = Infinity;
    } else if (t === serviceEnd) {
      if (loading) {
        loading = false;
        serviceEnd = t + draw(p.exec, execS);
        continue;
      }
      const r = queue[head++]!;
      if (r.index >= warmup) {
        const resp = t - r.at;
        served++;
        sumResponse += resp;
        responses.push(resp);
        if (resp <= p.sloS) met++;
      }
      if (queue.length - head > 0) startService(t);
      else {
        serviceEnd = Infinity;
        armExpiry(t);
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
    } else {
      const index = arrived++;
      nextArrival = t + rArr.exponential(p.lambda);
      let expired: boolean;
      if (cdf) {
        const u = rArr.uniform();
        let m = cdf.findIndex((c) => u < c);
        if (m < 0) m = cdf.length - 1;
        expired = t - lastArrival[m]! > expiryDraw();
        lastArrival[m] = t;
      } else expired = queue.length - head === 0 && idleCold;
      if (queue.length - head >= K) {
        if (index >= warmup) lost++;
        continue;
      }
      const idle = queue.length - head === 0;
      queue.push({ at: t, index, cold: expired && rCold.bernoulli(alpha) });
      if (idle) {
        idleCold = false;
        expiryAt = Infinity;
        startService(t);
      }
    }
  }
  responses.sort((a, b) => a - b);
  const arrivals = served + lost;
  return {
    arrivals,
    served,
    lost,
    coldStarts,
    compliance: arrivals > 0 ? met / arrivals : 1,
    coldStartRatio: arrivals > 0 ? coldStarts / arrivals : 0,
    meanResponseS: served > 0 ? sumResponse / served : 0,
    p99S: responses.length ? responses[Math.min(responses.length - 1, Math.floor(0.99 * responses.length))]! : 0,
  };
}
