// Pinned host buffers for write() and read(): copies from and to pinned memory
// are truly asynchronous, so neither call waits for training work already on
// the stream. A buffer is reused only after the copy that used it is done.
import type { CudaAddon, Handle } from './addon.js';

const MIN_BYTES = 64 << 10;

export interface StagingBuffer {
  readonly host: ArrayBuffer;
  /** Recorded after the copy that uses the buffer. */
  readonly event: Handle;
  busy: boolean;
}

export class Staging {
  private readonly buffers: StagingBuffer[] = [];
  constructor(private readonly cu: CudaAddon) {}

  /** A free buffer of at least `bytes`, marked busy; the caller records its event after the copy. */
  acquire(bytes: number): StagingBuffer {
    let best: StagingBuffer | undefined;
    for (const b of this.buffers) {
      if (b.host.byteLength < bytes || (best && best.host.byteLength <= b.host.byteLength)) continue;
      if (b.busy && !this.cu.eventQuery(b.event)) continue;
      best = b;
    }
    if (!best) {
      const size = Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
      best = { host: this.cu.hostAlloc(size), event: this.cu.eventCreate(false), busy: false };
      this.buffers.push(best);
    }
    best.busy = true;
    return best;
  }

  get bytes(): number {
    return this.buffers.reduce((s, b) => s + b.host.byteLength, 0);
  }

  destroy(): void {
    for (const b of this.buffers.splice(0)) this.cu.eventDestroy(b.event);
  }
}
