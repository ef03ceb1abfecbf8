// Pinned host buffers for write() and read(): copies from and to pinned memory
// are truly asynchronous, so neither call waits for training work already on
// the stream. A buffer is reused only after the copy that used it is done.
import type { CudaAddon, Handle } from './addon.js';

const MIN_BYTES = 64 << 10;

export interface StagingBuffer {
  readonly host: ArrayBuffer;
  /** Recorded after the copy that uses the buffer. */
  readonly event: Handle;
  /** 'copying': free once the event completes; 'held': free only on release() (a read being copied out). */
  state: 'free' | 'copying' | 'held';
}

export class Staging {
  private readonly buffers: StagingBuffer[] = [];
  constructor(private readonly cu: CudaAddon) {}

  /**
   * The smallest free buffer of at least `bytes`. The caller records the
   * buffer's event after its copy; a 'held' buffer stays taken until release().
   */
  acquire(bytes: number, state: 'copying' | 'held'): StagingBuffer {
    let best: StagingBuffer | undefined;
    for (const b of this.buffers) {
      if (b.host.byteLength < bytes || (best && best.host.byteLength <= b.host.byteLength)) continue;
      if (b.state === 'held' || (b.state === 'copying' && !this.cu.eventQuery(b.event))) continue;
      best = b;
    }
    if (!best) {
      const size = Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
      best = { host: this.cu.hostAlloc(size), event: this.cu.eventCreate(false), state: 'free' };
      this.buffers.push(best);
    }
    best.state = state;
    return best;
  }

  release(b: StagingBuffer): void {
    b.state = 'free';
  }

  get bytes(): number {
    return this.buffers.reduce((s, b) => s + b.host.byteLength, 0);
  }

  destroy(): void {
    for (const b of this.buffers.splice(0)) this.cu.eventDestroy(b.event);
  }
}
