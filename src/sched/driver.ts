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
      { speed: opts.speed, signal: opts.signal, now },
    );
    await Promise.all(pending);
  } finally {
    core.stopTicking();
  }
  records.sort((a, b) => a.index - b.index);
  return summarize(records, now() - t0);
}
