// A FIFO bound on jobs in flight: at most `limit` run at once, the rest wait
// their turn in arrival order. The server's bound on engine calls and the
// model store's bound on concurrent runs.
import { InvalidRangeError } from './errors.js';

export class Turns {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidRangeError(`the bound on jobs in flight must be a positive integer, got ${limit}`);
  }

  /** Jobs waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
