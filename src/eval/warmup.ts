// The warm-up every system of a run gets alike before its measured window:
// each model is requested once, through the system's own request path (so a
// static partition keeps what its share holds and swaps the rest, handover
// takes what it needs from training), then the system settles (idle expiry
// and trimming tick, training refills) for a fixed time. Without it a short
// run measures first-touch loads: round 3 (docs/results-scale.md) had 43.5%
// of every system's requests as first-touch cold starts. Its requests and
// loads are reported apart from the measured ones.
import type { TensorData } from '../infer/store.js';
import { quantile } from '../sched/driver.js';
import type { Trace } from '../sched/traces.js';
import type { ColocationSystem } from '../system/index.js';

export type WarmupMode = 'none' | 'touch';
export const WARMUP_MODES: readonly WarmupMode[] = ['none', 'touch'];

export interface WarmupResult {
  /** Requests played (one per model). */
  requests: number;
  /** Of them, cold starts (the model was not resident). */
  coldStarts: number;
  failed: number;
  /** Loads the core logged during the warm-up: P50 and largest, ms. */
  loads: number;
  loadP50Ms: number | null;
  loadMaxMs: number | null;
  /** Wall time of the requests, then of the settling, seconds. */
  touchS: number;
  settleS: number;
}

/**
 * The order the warm-up touches the models: latest first arrival first, so
 * the models the measured trace asks for first are the most recently used
 * (an LRU system keeps those when it cannot keep all); models the trace never
 * asks for come first of all. The driver maps arrival `model` k to name k mod n.
 */
export function touchOrder(trace: Pick<Trace, 'arrivals'>, names: string[]): string[] {
  const first = new Map<string, number>();
  for (const a of trace.arrivals) {
    const name = names[a.model % names.length]!;
    if (!first.has(name)) first.set(name, a.t);
  }
  const never = names.filter((n) => !first.has(n));
  const seen = [...first].sort((a, b) => b[1] - a[1]).map(([n]) => n);
  return [...never, ...seen];
}

/** Requests each model once in `order`, one at a time, then lets the system settle `settleMs` with the core ticking. */
export async function warmUp(sys: ColocationSystem, order: string[], inputs: Map<string, Record<string, TensorData>>, settleMs: number, tickMs = 50): Promise<WarmupResult> {
  const cursor = sys.core.log.since(0).next;
  sys.core.startTicking(tickMs);
  const t0 = performance.now();
  let coldStarts = 0;
  let failed = 0;
  try {
    for (const name of order) {
      try {
        const r = await sys.infer(name, inputs.get(name)!);
        if (r.admission.coldStart) coldStarts++;
      } catch {
        failed++;
      }
    }
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, settleMs));
    const loads = sys.core.log.since(cursor).events.filter((e) => e.kind === 'load').map((e) => e.ms ?? 0).sort((a, b) => a - b);
    return {
      requests: order.length,
      coldStarts,
      failed,
      loads: loads.length,
      loadP50Ms: loads.length ? quantile(loads, 0.5) : null,
      loadMaxMs: loads.length ? loads[loads.length - 1]! : null,
      touchS: (t1 - t0) / 1000,
      settleS: (performance.now() - t1) / 1000,
    };
  } finally {
    sys.core.stopTicking();
  }
}
