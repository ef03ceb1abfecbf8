// A proof that no GPU work of one owner can still touch memory that owner
// freed. Only the gate (training) and a device fence (inference) issue one;
// the arena's reclaim demands it, so "reclaim before drain" does not compile.

import type { Owner } from './errors.js';

const issued = new WeakSet<Drained>();
let seq = 0;

/** A global order of frees and drain starts: a drain covers frees with a smaller number. */
export function nextSeq(): number {
  return ++seq;
}

export class Drained {
  private constructor(
    readonly owner: Owner,
    /** Host time (ms) at which the drain completed. */
    readonly at: number,
    /** Taken when the drain began: it covers frees numbered below this. */
    readonly startSeq: number,
  ) {}

  /** For the gate and the fence only. */
  static issue(owner: Owner, startSeq: number): Drained {
    const d = new Drained(owner, performance.now(), startSeq);
    issued.add(d);
    return d;
  }

  static isGenuine(d: Drained): boolean {
    return issued.has(d);
  }
}
