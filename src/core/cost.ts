// The cost model of training launches: how long each kernel of each shape
// takes on this device now, learned online from the submissions the gate
// makes (submit-to-done on the device's clock). A sliceable launch is costed
// per row of its output, any other launch as a whole.
// Estimates move with every measurement (an exponential average), so they
// follow a device that slows down or speeds up (a loaded CPU under
// SwiftShader, a throttled laptop GPU). A submission's fixed cost (submit to
// done of an empty submission: the host round trip) is measured apart by the
// gate now and then and taken off each measurement, so small slices do not
// look dear per row; on a loaded CPU it can be several milliseconds.
import { InvalidRangeError } from './errors.js';
import type { Launch } from './device.js';

/** A launch the gate may cut into ranges of output rows that give bit-identical results. */
export interface SliceSpec {
  /** Output rows of the whole launch. */
  rows: number;
  /** The launch for rows [row0, row0 + rows) only; same bindings in the same order. */
  at(row0: number, rows: number): Launch;
}

/** A launch that may carry its slicing (kernel wrappers attach it). */
export type SliceableLaunch = Launch & { slice?: SliceSpec };

/** Part of one submission: `units` rows of a sliceable launch, or 1 for a whole launch. */
export interface CostPiece {
  key: string;
  units: number;
}

export interface CostModelOptions {
  /** Weight of a new measurement in the running average (0 < alpha <= 1). */
  alpha?: number;
}

/** The key of a launch's kernel and shape: the kernel, its thread counts and its params. */
export function costKey(l: Launch): string {
  const words = l.params ? Array.from(new Uint32Array(l.params), (w) => w.toString(16)).join('.') : '';
  return `${l.kernel}/${l.threads.join('x')}/${words}`;
}

export class CostModel {
  readonly alpha: number;
  private readonly perUnit = new Map<string, number>();
  private overhead = 0;
  private host = 0;
  /** Measurements taken. */
  samples = 0;

  constructor(opts: CostModelOptions = {}) {
    this.alpha = opts.alpha ?? 0.3;
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new InvalidRangeError(`cost model alpha must be in (0, 1], got ${opts.alpha}`);
  }

  /** Milliseconds per unit of this key, or null before it was measured. */
  perUnitMs(key: string): number | null {
    return this.perUnit.get(key) ?? null;
  }

  /** Milliseconds one submission costs beyond its kernels (0 before it was measured). */
  get submitMs(): number {
    return this.overhead;
  }

  /** An empty submission took `ms` from submit to done. */
  observeSubmit(ms: number): void {
    if (ms > 0) this.overhead = this.overhead === 0 ? ms : this.overhead * (1 - this.alpha) + ms * this.alpha;
  }

  /**
   * Milliseconds of host work one submission of training costs (encoding its
   * launches and submitting them, on the CPU the requests' host code needs too;
   * 0 before it was measured).
   */
  get hostMs(): number {
    return this.host;
  }

  /** Encoding and submitting one piece took `ms` on the host. */
  observeHost(ms: number): void {
    if (ms > 0) this.host = this.host === 0 ? ms : this.host * (1 - this.alpha) + ms * this.alpha;
  }

  /** Milliseconds `units` of this key should take, or null before it was measured. */
  estimate(key: string, units: number): number | null {
    const u = this.perUnit.get(key);
    return u === undefined ? null : u * units;
  }

  /**
   * One submission of `pieces` took `ms` from submit to done. At most one
   * piece may have no estimate yet: it gets what the others leave; the known
   * ones move toward the measurement in proportion to their estimates.
   */
  observe(pieces: readonly CostPiece[], ms: number): void {
    // A submission that took no time on the clock says nothing (a frozen test clock).
    if (!(ms > 0) || pieces.length === 0) return;
    this.samples++;
    // The fixed cost comes off, but a piece is never taken as free.
    const work = Math.max(ms - this.overhead, ms / 10);
    const unknown = pieces.filter((p) => !this.perUnit.has(p.key));
    const known = pieces.filter((p) => this.perUnit.has(p.key));
    const predicted = known.reduce((s, p) => s + this.perUnit.get(p.key)! * p.units, 0);
    if (unknown.length > 0) {
      // What the known pieces should have taken comes off first; the unknown ones share the rest by units.
      const left = Math.max(work - predicted, work / (known.length + unknown.length));
      const units = unknown.reduce((s, p) => s + p.units, 0);
      for (const p of unknown) this.perUnit.set(p.key, left / units);
      return;
    }
    const ratio = work / predicted;
    for (const p of known) {
      const old = this.perUnit.get(p.key)!;
      this.perUnit.set(p.key, old * (1 - this.alpha) + old * ratio * this.alpha);
    }
  }
}
