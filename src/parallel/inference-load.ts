// A rank's inference load for the benchmarks: requests at the times of a
// LIGHT or HEAVY trace, each one a REQUIRE of memory from the trainer, GPU
// work on that memory with training held, then the memory given back.
import type { InferAllocation } from '../core/allocation.js';
import { OutOfMemoryError } from '../core/errors.js';
import { matmul } from '../kernels/matmul.js';
import { generateTrace, playTrace } from '../sched/traces.js';
import type { Trainer } from '../train/trainer.js';

export interface InferenceLoadOptions {
  kind: 'light' | 'heavy';
  seed: number;
  /** Bytes one request takes from training (0: the free memory and half of what training could give). */
  bytes: number;
  /** Square matmuls (of the size that fits) per request. */
  work: number;
  /** > 1 compresses the trace (more requests per second). */
  timeScale: number;
  /** Awaited before each REQUIRE: the naive handover waits for the effective batch here. */
  before?: () => Promise<void>;
}

export interface InferenceLoad {
  /** Milliseconds from each request's arrival to its memory being free for it. */
  handoverMs: number[];
  stop(): Promise<void>;
}

export function startInference(t: Trainer, o: InferenceLoadOptions): InferenceLoad {
  const trace = generateTrace({ kind: o.kind, seed: o.seed, durationS: 3600, timeScale: o.timeScale });
  const arena = t.arena;
  const dev = arena.device;
  const abort = new AbortController();
  const handoverMs: number[] = [];
  const side = 1024;
  let chain = Promise.resolve();
  const sleep = (ms: number) =>
    new Promise<void>((res) => {
      const timer = setTimeout(res, ms);
      abort.signal.addEventListener('abort', () => (clearTimeout(timer), res()), { once: true });
    });
  const serve = async (arrived: number) => {
    if (abort.signal.aborted) return;
    await o.before?.();
    const bytes = o.bytes || arena.freeBytes + Math.floor(t.elasticBytes / 2);
    await t.require(bytes);
    handoverMs.push(performance.now() - arrived);
    let a: InferAllocation | null = null;
    try {
      if (bytes >= 3 * side * side * 4) a = arena.allocate('infer', 3 * side * side * 4, 'inference');
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e; // free but scattered pages: this request only waits
    }
    if (a) {
      const r = a.range();
      const part = (i: number) => ({ backing: r.backing, offset: r.offset + i * side * side * 4, bytes: side * side * 4 });
      t.gate.hold();
      try {
        for (let i = 0; i < o.work; i++) dev.launch(matmul({ a: part(0), b: part(1), c: part(2), m: side, n: side, k: side }));
        await dev.fence();
      } finally {
        t.gate.resume();
      }
      arena.free(a);
      arena.reclaim(await arena.fence());
    }
    t.release(bytes);
  };
  const played = playTrace(trace, () => {
    const arrived = performance.now();
    chain = chain.then(() => serve(arrived));
  }, { signal: abort.signal, sleep });
  return {
    handoverMs,
    stop: async () => {
      abort.abort();
      await played;
      await chain;
    },
  };
}
