// A discrete-event simulation of the queueing model's assumptions (one
// server, Poisson arrivals, a cold start with probability alpha for an arrival
// that finds the idle model expired, idle expiry after T_idle), seeded. With
// every distribution exponential it is the chain of queueing.ts, run forward
// in time: the two must agree. Deterministic execution, load and expiry
// (closer to a real GPU) show what the chain's exponential stages cost.
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

type Server = 'idle-warm' | 'idle-cold' | 'loading' | 'busy';

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
  const execS = 1 / p.mu;
  const alpha = p.loadS > 0 ? p.alpha : 0;

  const queue: number[] = []; // arrival time and index of each request in the system, head in service
  const qIndex: number[] = [];
  let head = 0;
  let server: Server = 'idle-warm';
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
    if (!Number.isFinite(p.tIdleS)) expiryAt = Infinity;
    else expiryAt = t + (p.expiry === 'deterministic' ? p.tIdleS : rSvc.exponential(1 / p.tIdleS));
  };
  armExpiry(0);

  while (arrived < total || queue.length - head > 0) {
    const tA = arrived < total ? nextArrival : Infinity;
    const t = Math.min(tA, serviceEnd, expiryAt);
    if (t === expiryAt) {
      server = 'idle-cold';
      expiryAt = Infinity;
    } else if (t === serviceEnd) {
      if (server === 'loading') {
        server = 'busy';
        serviceEnd = t + draw(p.exec, execS);
        continue;
      }
      const arrivedAt = queue[head]!;
      const index = qIndex[head]!;
      head++;
      if (index >= warmup) {
        const r = t - arrivedAt;
        served++;
        sumResponse += r;
        responses.push(r);
        if (r <= p.sloS) met++;
      }
      if (queue.length - head > 0) serviceEnd = t + draw(p.exec, execS);
      else {
        server = 'idle-warm';
        serviceEnd = Infinity;
        armExpiry(t);
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        qIndex.splice(0, head);
        head = 0;
      }
    } else {
      const index = arrived++;
      nextArrival = t + rArr.exponential(p.lambda);
      if (queue.length - head >= K) {
        if (index >= warmup) lost++;
        continue;
      }
      queue.push(t);
      qIndex.push(index);
      if (server === 'idle-warm' || server === 'idle-cold') {
        const cold = server === 'idle-cold' && rCold.bernoulli(alpha);
        expiryAt = Infinity;
        if (cold) {
          if (index >= warmup) coldStarts++;
          server = 'loading';
          serviceEnd = t + draw(p.load, p.loadS);
        } else {
          server = 'busy';
          serviceEnd = t + draw(p.exec, execS);
        }
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
