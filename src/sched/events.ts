// The scheduler's decision log: every memory decision is one event with a
// timestamp, kept in order for the report and the browser demo (which polls
// `since(cursor)`). The log is bounded; `dropped` says how many fell off.

export type SchedEventKind =
  /** A cold model's memory came from the reserve's free bytes. */
  | 'take-reserve'
  /** A model still resident in the reserve was requested: no cold start. */
  | 'reuse'
  /** A reserved model was unloaded to make room (its bytes stay in the reserve). */
  | 'evict'
  /** Training was asked to shrink (bytes asked; `freedBytes` what it gave). */
  | 'require'
  /** Training is at its minimum: a warm model was swapped out to host. */
  | 'swap-out'
  /** A model was loaded (cold start); `pipelined` when swapping. */
  | 'load'
  | 'load-failed'
  /** A model idle longer than T_idle moved to the reserve. */
  | 'idle'
  /** Reserve above the trim threshold: bytes handed back to training. */
  | 'release';

export interface SchedEvent {
  /** Milliseconds on the scheduler's clock. */
  t: number;
  kind: SchedEventKind;
  model: string | null;
  bytes: number;
  reason: string;
  /** Reserve after the decision (free bytes plus reserved models). */
  reserveBytes: number;
  /** Bytes inference holds after the decision. */
  inferenceBytes: number;
  /** Duration of the action, where it has one (require, load). */
  ms?: number;
  freedBytes?: number;
  pipelined?: boolean;
}

export class EventLog {
  private events: SchedEvent[] = [];
  private first = 0;
  private listeners: ((e: SchedEvent) => void)[] = [];

  constructor(readonly capacity = 100_000) {}

  push(e: SchedEvent): void {
    this.events.push(e);
    if (this.events.length > this.capacity) {
      const drop = this.events.length - this.capacity;
      this.events.splice(0, drop);
      this.first += drop;
    }
    for (const l of this.listeners) l(e);
  }

  /** Events with index >= cursor, and the cursor for the next call. */
  since(cursor: number): { events: SchedEvent[]; next: number } {
    const from = Math.max(0, cursor - this.first);
    return { events: this.events.slice(from), next: this.first + this.events.length };
  }

  all(): readonly SchedEvent[] {
    return this.events;
  }

  ofKind(kind: SchedEventKind): SchedEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }

  get dropped(): number {
    return this.first;
  }

  onEvent(f: (e: SchedEvent) => void): () => void {
    this.listeners.push(f);
    return () => {
      this.listeners = this.listeners.filter((g) => g !== f);
    };
  }

  toJSON(): SchedEvent[] {
    return this.events;
  }
}
