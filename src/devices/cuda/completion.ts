// Waiting for GPU work without blocking the event loop: poll an event with
// cudaEventQuery, first on setImmediate (sub-millisecond latency for short
// work), then on timers so a long wait does not spin a core.
import type { CudaAddon, Handle } from './addon.js';

const SPIN_MS = 2;

export function whenDone(cu: CudaAddon, event: Handle): Promise<void> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const tick = (): void => {
      try {
        if (cu.eventQuery(event)) return res();
      } catch (e) {
        return rej(e);
      }
      if (performance.now() - t0 < SPIN_MS) setImmediate(tick);
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
