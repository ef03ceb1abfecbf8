// Plays a trace against a colocation core: each arrival goes down the request
// path (`serve`: admit, run, complete; see request.ts), and the core ticks for
// idle expiry and trimming meanwhile. Records per-request latency and the core's
// decisions: the measured side of the model-vs-measured comparison.
import type { Admission, ColocationCore } from './core.js';
import { playTrace, type Trace } from './traces.js';

export interface RequestRecord {
  index: number;
  model: string;
  arrivalMs: number;
  doneMs: number;
  latencyMs: number;
  /** 'rejected': the bound on requests in flight was reached when it arrived (counted, never run). */
  path: Admission['path'] | 'failed' | 'rejected';
  coldStart: boolean;
  withinSlo: boolean;
  error?: string;
}

export interface DriveOptions {
  sloMs: number;
  /** > 1 plays the trace faster than its timestamps. */
  speed?: number;
  tickMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  onRequest?: (r: RequestRecord, done: number, total: number) => void;
  /** Requests in flight at most (admitted, not yet done); an arrival beyond it is rejected at once and counted. Default: no bound. */
  maxInFlight?: number;
  /** How the driver waits for the next arrival (default arrivalSleep: a timer, then setImmediate for the last SPIN_BEFORE_ARRIVAL_MS). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Milliseconds before an arrival that the driver stops sleeping on a timer
 * and polls the clock on setImmediate instead. A Node timer fires on the
 * loop's millisecond clock, 0-2 ms after its due time: latency counts from
 * the scheduled arrival, so that lateness was charged to the system as
 * event-loop lag (round 5 on the H200: lag p99 1.7-2.2 ms for Infer-Only,
 * against SLOs of 2.3-2.6 ms for squeezenet1_1; docs/results-scale.md).
 */
export const SPIN_BEFORE_ARRIVAL_MS = 3;

/**
 * A wait for the trace player that is not late: a timer for all but the last
 * SPIN_BEFORE_ARRIVAL_MS, one turn of the event loop (setImmediate) after
 * that (`ms` is the wait rounded up, and a timer may fire 2 ms late: a 3 ms
 * margin keeps it ahead of the arrival). playTrace calls it again until the
 * arrival is due, so the loop polls the clock in the last 3 ms while timers
 * and I/O of requests in flight still run between polls.
 */
export function arrivalSleep(ms: number): Promise<void> {
  if (ms > SPIN_BEFORE_ARRIVAL_MS) return new Promise((r) => setTimeout(r, ms - SPIN_BEFORE_ARRIVAL_MS));
  return new Promise((r) => setImmediate(r));
}

/** A timer only: the wait may end up to ~2 ms late (the lateness counts as every system's lag alike). */
export function timerSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The driver's wait on a device: arrivalSleep, but timers only on a CPU
 * adapter (SwiftShader), where the loop that polls the clock takes one of the
 * cores the device computes on. The README trace on the 2-core machine with
 * the polls (2026-12-03, one round): in SLO handover 95.9%, SP-75 97.3%,
 * TaskSwitch 98.3%, training 309 samples/s; with timers: 99.1 / 99.0 /
 * 99.2%, 501 samples/s (docs/time-slicing.md, round 5).
 */
export function arrivalSleepFor(device: { info: { software: boolean } }): (ms: number) => Promise<void> {
  return device.info.software ? timerSleep : arrivalSleep;
}

export interface DriveResult {
  records: RequestRecord[];
  requests: number;
  failed: number;
  /** Arrivals turned away by the bound on requests in flight (they count against SLO compliance). */
  rejected: number;
  sloCompliance: number;
  p50Ms: number;
  p99Ms: number;
  coldStartRatio: number;
  wallMs: number;
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarize(records: RequestRecord[], wallMs: number): DriveResult {
  const lat = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const n = records.length;
  return {
    records,
    requests: n,
    failed: records.filter((r) => r.path === 'failed').length,
    rejected: records.filter((r) => r.path === 'rejected').length,
    sloCompliance: n ? records.filter((r) => r.withinSlo).length / n : 1,
    p50Ms: quantile(lat, 0.5),
    p99Ms: quantile(lat, 0.99),
    coldStartRatio: n ? records.filter((r) => r.coldStart).length / n : 0,
    wallMs,
  };
}

export async function drive(
  trace: Trace,
  core: ColocationCore,
  modelNames: string[],
  /** One request down the request path; resolves with its admission. `index`: the request's place in the trace. */
  serve: (model: string, index: number) => Promise<Admission>,
  opts: DriveOptions,
): Promise<DriveResult> {
  const now = opts.now ?? (() => performance.now());
  const records: RequestRecord[] = [];
  const pending: Promise<void>[] = [];
  const total = trace.arrivals.length;
  const t0 = now();
  core.startTicking(opts.tickMs ?? 50);
  let inFlight = 0;
  const one = async (model: string, index: number, arrivalMs: number) => {
    let path: RequestRecord['path'] = 'failed';
    let coldStart = false;
    let error: string | undefined;
    if (inFlight >= (opts.maxInFlight ?? Infinity)) {
      path = 'rejected';
      error = `${inFlight} requests in flight (the bound): rejected at arrival`;
    } else {
      inFlight++;
      try {
        const a = await serve(model, index);
        path = a.path;
        coldStart = a.coldStart;
      } catch (e) {
        path = 'failed';
        error = (e as Error).message;
      } finally {
        inFlight--;
      }
    }
    const doneMs = now() - t0;
    const latencyMs = doneMs - arrivalMs;
    const r: RequestRecord = { index, model, arrivalMs, doneMs, latencyMs, path, coldStart, withinSlo: path !== 'failed' && path !== 'rejected' && latencyMs <= opts.sloMs, error };
    records.push(r);
    opts.onRequest?.(r, records.length, total);
  };
  try {
    await playTrace(
      trace,
      (a, i) => {
        const model = modelNames[a.model % modelNames.length]!;
        // Latency counts from the scheduled arrival, so event-loop lag is charged to the system.
        pending.push(one(model, i, (a.t * 1000) / (opts.speed ?? 1)));
      },
      { speed: opts.speed, signal: opts.signal, now, sleep: opts.sleep ?? arrivalSleep },
    );
    await Promise.all(pending);
  } finally {
    core.stopTicking();
  }
  records.sort((a, b) => a.index - b.index);
  return summarize(records, now() - t0);
}
