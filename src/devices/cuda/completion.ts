// Waiting for GPU work without blocking the event loop: poll an event with
// cudaEventQuery, first on setImmediate (sub-millisecond latency for short
// work), then on timers so a long wait does not spin a core.
import type { CudaAddon, Handle } from './addon.js';

/** setImmediate polling before timers, for training's waits (a micro-batch: tens of ms, where 1 ms late costs little). */
export const SPIN_MS = 2;
/**
 * The same for an answer's waits (an inference read or fence): a timer fires
 * 1-2 ms late, which is most of the slack of a model with a 2.3 ms SLO, and a
 * run queued behind others on the inference stream (a resnet50: 3.8 ms) waits
 * longer than SPIN_MS. The loop still runs other callbacks between polls.
 */
export const INFER_SPIN_MS = 25;

export function whenDone(cu: CudaAddon, event: Handle, spinMs = SPIN_MS): Promise<void> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const tick = (): void => {
      try {
        if (cu.eventQuery(event)) return res();
      } catch (e) {
        return rej(e);
      }
      if (performance.now() - t0 < spinMs) setImmediate(tick);
      else setTimeout(tick, 0);
    };
    tick();
  });
}

/** Events without timing, reused once the work they marked is done. */
export class EventPool {
  private readonly idle: Handle[] = [];
  readonly all: Handle[] = [];
  constructor(private readonly cu: CudaAddon) {}

  get(): Handle {
    const e = this.idle.pop();
    if (e !== undefined) return e;
    const made = this.cu.eventCreate(false);
    this.all.push(made);
    return made;
  }

  put(e: Handle): void {
    this.idle.push(e);
  }

  destroy(): void {
    for (const e of this.all) this.cu.eventDestroy(e);
    this.all.length = 0;
    this.idle.length = 0;
  }
}

/** Steps that wait until the GPU is done with what they free (unmaps, graph destruction: out of the handover's path). */
export class DeferredSteps {
  private readonly queue: { events: Handle[]; done: () => void }[] = [];

  constructor(private readonly cu: CudaAddon, private readonly events: EventPool) {}

  /** Runs `done` once every one of `events` (from the pool; they go back to it) has completed. */
  push(events: Handle[], done: () => void): void {
    this.queue.push({ events, done });
  }

  /**
   * Runs the steps whose last work is done (all when `all`, after a
   * synchronize). The queue is changed in place and each entry leaves it
   * before its step runs: a view of this device made with Object.create (a
   * test's device with smaller limits, a lane-bound writer) shares the one
   * queue, and a step that throws is not run again. Before, `this.deferred =
   * filter(...)` gave such a view its own copy of the queue, so both unmapped
   * the same range and the second cuMemAddressFree failed
   * (CUDA_ERROR_INVALID_VALUE); a throwing step also left the entries already
   * done in the queue, to be freed twice by the next call.
   */
  runDone(all: boolean): void {
    for (let i = 0; i < this.queue.length; ) {
      const { events, done } = this.queue[i]!;
      if (!all && !events.every((e) => this.cu.eventQuery(e))) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      for (const e of events) this.events.put(e);
      done();
    }
  }
}
