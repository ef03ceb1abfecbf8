// Uploads from pinned host buffers (GpuDevice.upload): each one DMA on a
// stream of its own, a copy engine's work beside the lanes' kernels, with an
// event after it that a lane waits on only where awaitUpload says.

import type { CudaAddon, Handle } from './addon.js';
import type { EventPool } from './completion.js';

export class UploadStream {
  /** The event recorded after each upload in flight, by ticket id. */
  private readonly done = new Map<number, Handle>();

  constructor(private readonly cu: CudaAddon, private readonly events: EventPool, readonly stream: Handle) {}

  /** Runs `copy` on the upload stream after the work issued so far on `lane` (a stream); returns the event recorded after it. */
  issue(lane: Handle, copy: (stream: Handle) => void): Handle {
    const after = this.events.get();
    this.cu.eventRecord(after, lane);
    this.cu.streamWaitEvent(this.stream, after);
    this.events.put(after); // the wait has taken the event's state: it may be recorded again
    copy(this.stream);
    const done = this.events.get();
    this.cu.eventRecord(done, this.stream);
    return done;
  }

  /** Upload `ticket`'s event, recorded after it by issue(). */
  track(ticket: number, done: Handle): void {
    this.done.set(ticket, done);
  }

  /** `lane`'s later work waits for the upload (if still in flight). */
  await(ticket: number, lane: Handle): void {
    const e = this.done.get(ticket);
    if (e !== undefined) this.cu.streamWaitEvent(lane, e);
  }

  /** `lane`'s later work waits for the uploads, which are then forgotten (their events reused). */
  end(tickets: readonly number[], lane: Handle): void {
    for (const t of tickets) {
      const e = this.done.get(t);
      if (e === undefined) continue;
      this.done.delete(t);
      this.cu.streamWaitEvent(lane, e);
      this.events.put(e);
    }
  }
}
