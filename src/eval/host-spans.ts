// Where the host's event loop goes while a system plays a trace (issue 21,
// round 8). A request's "lag" (latency beyond its admit, window and run
// stages) is time its callbacks waited for the loop; under handover it was
// 6-10 ms at p99 against 0.8-0.9 ms for Infer-Only (round 7b). This wraps
// chosen methods of the system's parts (device, arena, gate, trainer, core,
// store, executors) and times the synchronous part of each call (an async
// method: until its first await), so a long span names the work that held
// the loop; beside it, the loop's own delay (perf_hooks). Nested calls are
// timed each (inclusive). Durations go to power-of-two microsecond buckets,
// so millions of launches cost a counter each.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface SpanStat {
  label: string;
  calls: number;
  totalMs: number;
  /** The upper edge of the bucket that holds the 99th percentile. */
  p99Ms: number;
  maxMs: number;
  /** Calls of 2 ms or more. */
  over2Ms: number;
}

export interface HostSpanReport {
  /** The event loop's delay (monitorEventLoopDelay, 1 ms resolution): p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** By label, most total time first; labels with no call are left out. */
  byLabel: SpanStat[];
  /** The longest single calls: label, ms, seconds after start. */
  longest: { label: string; ms: number; atS: number }[];
}

const BUCKETS = 24; // 1 us .. 8 s
const KEEP_LONGEST = 16;

class SpanHistogram {
  calls = 0;
  totalMs = 0;
  maxMs = 0;
  over2Ms = 0;
  readonly buckets = new Uint32Array(BUCKETS);

  add(ms: number): void {
    this.calls++;
    this.totalMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    if (ms >= 2) this.over2Ms++;
    const us = ms * 1000;
    this.buckets[Math.min(BUCKETS - 1, us < 1 ? 0 : Math.floor(Math.log2(us)) + 1)]!++;
  }

  /** The bucket edge under which a share q of the calls fall (ms). */
  quantile(q: number): number {
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[i]!;
      if (seen >= q * this.calls) return Math.min(this.maxMs, 2 ** i / 1000);
    }
    return this.maxMs;
  }
}

export class HostSpans {
  private readonly stats = new Map<string, SpanHistogram>();
  private readonly undo: (() => void)[] = [];
  private longest: { label: string; ms: number; atS: number }[] = [];
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });
  private t0 = performance.now();

  /**
   * Times `target[method]` under `label` until stop() puts it back. Methods
   * that are not functions on the target are skipped (a backend without them).
   * `then` sees each call's result (to wrap what it returns).
   */
  wrap(target: object, method: string, label = method, then?: (result: unknown) => void): void {
    const t = target as Record<string, unknown>;
    const orig = t[method];
    if (typeof orig !== 'function') return;
    const had = Object.prototype.hasOwnProperty.call(t, method);
    const hist = this.histogram(label);
    const spans = this;
    t[method] = function (this: unknown, ...args: unknown[]) {
      const s = performance.now();
      let result: unknown;
      try {
        result = (orig as (...a: unknown[]) => unknown).apply(this, args);
      } finally {
        spans.note(label, hist, performance.now() - s);
      }
      then?.(result);
      return result;
    };
    this.undo.push(() => {
      if (had) t[method] = orig;
      else delete t[method];
    });
  }

  /** Wraps several methods of one target, each labelled `prefix.method`. */
  wrapAll(target: object | null | undefined, prefix: string, methods: readonly string[]): void {
    if (!target) return;
    for (const m of methods) this.wrap(target, m, `${prefix}.${m}`);
  }

  /** Records a span measured elsewhere (a callback's duration). */
  add(label: string, ms: number): void {
    this.note(label, this.histogram(label), ms);
  }

  start(): void {
    this.t0 = performance.now();
    this.loop.enable();
  }

  /** Puts every wrapped method back and reports. */
  stop(): HostSpanReport {
    this.loop.disable();
    for (const u of this.undo.splice(0).reverse()) u();
    const byLabel = [...this.stats.entries()]
      .filter(([, h]) => h.calls > 0)
      .map(([label, h]) => ({ label, calls: h.calls, totalMs: h.totalMs, p99Ms: h.quantile(0.99), maxMs: h.maxMs, over2Ms: h.over2Ms }))
      .sort((a, b) => b.totalMs - a.totalMs);
    const ns = (x: number) => (Number.isFinite(x) ? x / 1e6 : 0);
    return { loopDelayP99Ms: ns(this.loop.percentile(99)), loopDelayMaxMs: ns(this.loop.max), byLabel, longest: [...this.longest] };
  }

  private histogram(label: string): SpanHistogram {
    let h = this.stats.get(label);
    if (!h) this.stats.set(label, (h = new SpanHistogram()));
    return h;
  }

  private note(label: string, hist: SpanHistogram, ms: number): void {
    hist.add(ms);
    const l = this.longest;
    if (l.length < KEEP_LONGEST || ms > l[l.length - 1]!.ms) {
      l.push({ label, ms, atS: (performance.now() - this.t0) / 1000 });
      l.sort((a, b) => b.ms - a.ms);
      if (l.length > KEEP_LONGEST) l.length = KEEP_LONGEST;
    }
  }
}

/**
 * The event loop's delay; with `all` (HANDOVER_HOST_SPANS=1: the GPU scripts
 * set it), one line per label that held the loop 1 ms or more at least once
 * and the longest calls (report.json keeps them either way).
 */
export function hostSpanLines(r: HostSpanReport, all = Boolean(process.env.HANDOVER_HOST_SPANS)): string[] {
  const f = (x: number) => x.toFixed(2);
  const delay = `  host: event-loop delay p99 ${f(r.loopDelayP99Ms)} ms, max ${f(r.loopDelayMaxMs)} ms`;
  if (!all) return [`${delay} (HANDOVER_HOST_SPANS=1 lists what held it; report.json has it)`];
  const lines = [`${delay}; synchronous spans (label: calls, total ms, p99 / max ms, calls >= 2 ms):`];
  for (const s of r.byLabel.filter((x) => x.maxMs >= 1)) lines.push(`    ${s.label}: ${s.calls}, ${f(s.totalMs)}, ${f(s.p99Ms)} / ${f(s.maxMs)}, ${s.over2Ms}`);
  lines.push(`    longest: ${r.longest.slice(0, 10).map((x) => `${x.label} ${f(x.ms)} ms @${x.atS.toFixed(1)} s`).join('; ')}`);
  return lines;
}

/** The parts of a system the spans look into (ColocationSystem's fields). */
export interface InstrumentedParts {
  device: object;
  arena: object;
  gate: object;
  core: object;
  store: object;
  trainer: { model: object } | null;
  /** The executors' class prototype: every model's runs. */
  executor: object;
}

/**
 * Wraps the methods where the host may spend long in one turn: the device's
 * calls (CUDA's page maps and unmaps among them), the arena's, the gate's
 * launches, the trainer's micro-batch set-up (activations taken and freed,
 * the batch's upload and launch list), the core's decisions and ticks, the
 * store's loads, and each run's issue (recordings included).
 */
export function instrumentSystem(spans: HostSpans, p: InstrumentedParts): void {
  spans.wrapAll(p.device, 'device', ['launch', 'write', 'upload', 'zero', 'copy', 'createBacking', 'mapPages', 'destroyBacking', 'record', 'replay', 'releaseRecording', 'submit', 'read', 'fenceLane', 'unmapDone', 'mapReservation', 'unmap']);
  spans.wrapAll(p.arena, 'arena', ['allocate', 'free', 'reclaim', 'compactInference']);
  spans.wrapAll(p.gate, 'gate', ['enqueue', 'pump', 'close']);
  spans.wrapAll(p.core, 'core', ['admit', 'complete', 'tick', 'makeResident', 'takeSpare', 'expireAndTrim', 'load', 'swapOut', 'evictReserved', 'giveTraining']);
  spans.wrapAll(p.store, 'store', ['load', 'unload', 'run']);
  spans.wrapAll(p.executor, 'executor', ['run', 'replayed']);
  const t = p.trainer;
  if (!t) return;
  // The step loop is the trainer's; the activations and the handovers are its memory's (src/train/training-memory.ts).
  const memory = (t as unknown as { memory?: { act: unknown } }).memory ?? (t as unknown as { act: unknown });
  for (const m of ['step', 'ready', 'take', 'freeActivations', 'returnActivations', 'shrink', 'enqueueGrouped', 'release', 'yieldAtBoundary'])
    spans.wrap(m === 'step' || m === 'enqueueGrouped' ? t : memory, m, `trainer.${m}`);
  const batch = (b: unknown) => spans.wrapAll(b as object | null, 'trainer.batch', ['upload', 'gradient']);
  batch(memory.act);
  spans.wrap(t.model, 'bind', 'trainer.bind', batch); // each micro-batch size bound from now on
}
