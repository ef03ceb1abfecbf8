// The agreement with a payload: each rank reports its load when it arrives,
// and every rank receives all ranks' loads, so all compute the same split.

/** What a rank sees of the agreement: in one process (below) or over IPC (remote.ts). */
export interface Agreement<T> {
  /** Resolves with every rank's info once all ranks have arrived at `step`. */
  arrive(rank: number, step: number, info: T): Promise<T[]>;
}

export class LocalAgreementWithInfo<T> implements Agreement<T> {
  private readonly steps = new Map<number, { infos: (T | undefined)[]; count: number; waiters: ((v: T[]) => void)[] }>();
  constructor(readonly ranks: number) {
    if (!Number.isInteger(ranks) || ranks < 1) throw new RangeError(`ranks must be a positive integer, got ${ranks}`);
  }

  arrive(rank: number, step: number, info: T): Promise<T[]> {
    if (rank < 0 || rank >= this.ranks) throw new RangeError(`rank ${rank} outside 0..${this.ranks - 1}`);
    let s = this.steps.get(step);
    if (!s) {
      s = { infos: new Array<T | undefined>(this.ranks), count: 0, waiters: [] };
      this.steps.set(step, s);
    }
    if (s.infos[rank] !== undefined) throw new RangeError(`rank ${rank} arrived twice at step ${step}`);
    s.infos[rank] = info;
    s.count++;
    const p = new Promise<T[]>((res) => s!.waiters.push(res));
    if (s.count === this.ranks) {
      this.steps.delete(step);
      const all = s.infos as T[];
      s.waiters.forEach((w) => w(all));
    }
    return p;
  }

  /** Ranks not yet arrived at `step` (hang diagnostics). */
  missing(step: number): number[] {
    const s = this.steps.get(step);
    return Array.from({ length: this.ranks }, (_, r) => r).filter((r) => !s || s.infos[r] === undefined);
  }
}
