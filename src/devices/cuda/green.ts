// SM partitions through CUDA green contexts: training can be held to part of
// the GPU's SMs while inference runs, by launching its work on a stream of a
// green context. The addon (native-cuda/green.cpp) does the driver calls; the
// bookkeeping (which group is whose, rollback, stream ownership) is here.
//
// Integration (CudaDevice, while inference is active):
//   const p = SmPartition.create(device.cu, { sms: 66, ordinal });
//   train = switchStream(p.cu, train, p.part.stream(), event, blas);  // from now on
//   ... later: train = switchStream(p.cu, train, ordinaryStream, event, blas); p.destroy();
import { InvalidRangeError } from '../../core/errors.js';
import type { CudaAddon, Handle } from './addon.js';
import { CudaError, CudaUnavailableError } from './errors.js';

/** What the driver says about partitioning the device's SMs. */
export interface SmLayout {
  /** SMs of the whole device. */
  smCount: number;
  /** The smallest group the driver makes (8 on sm_90 by the docs). */
  minPartition: number;
  /** Groups come in multiples of this (8 on sm_90 by the docs). */
  alignment: number;
}

/** One SM group of a split, as the addon returns it: the resource is opaque bytes for greenCreate. */
export interface SmSplit {
  /** 1, or 0 when no group of that size fits the device's granularity. */
  groups: number;
  group: ArrayBuffer;
  groupSmCount: number;
  rest: ArrayBuffer;
  restSmCount: number;
}

/** The addon's green-context functions (native-cuda/green.cpp). */
export interface GreenAddon {
  smResource(ordinal: number): { deviceSmCount: number; deviceMinPartition: number; deviceAlignment: number };
  smSplit(ordinal: number, minCount: number, flags: number): SmSplit;
  greenCreate(ordinal: number, resource: ArrayBuffer): Handle;
  greenSmCount(green: Handle): number;
  greenStreamCreate(green: Handle, priority: number): Handle;
  greenDestroy(green: Handle): void;
  streamPriorities(): { least: number; greatest: number };
  blasSetStream(blas: Handle, stream: Handle): void;
}

export type GreenCuda = CudaAddon & GreenAddon;

/** CU_DEV_SM_RESOURCE_SPLIT_IGNORE_SM_COSCHEDULING: smaller groups, SMs treated independently of their GPC. */
const SPLIT_IGNORE_COSCHEDULING = 0x1;

/** The driver (or this addon build) has no green contexts: CUDA 12.5+ driver, and a GPU that supports them. */
export class GreenContextUnavailableError extends CudaUnavailableError {
  override name = 'GreenContextUnavailableError';
}

/** A partition of an impossible size. */
export class SmRequestError extends InvalidRangeError {
  override name = 'SmRequestError';
  constructor(readonly requested: number, readonly available: number, reason: string) {
    super(`SM partition of ${requested} SMs: ${reason} (the device has ${available})`);
  }
}

const UNAVAILABLE = /SymbolNotFound|NOT_SUPPORTED|InsufficientDriver|NoDevice|NO_DEVICE|NOT_INITIALIZED|InitializationError/i;

/** The addon's green functions, or GreenContextUnavailableError for an addon built without them. */
export function greenAddon(cu: CudaAddon): GreenCuda {
  const g = cu as GreenCuda;
  if (typeof g.greenCreate !== 'function' || typeof g.smSplit !== 'function')
    throw new GreenContextUnavailableError('the CUDA addon has no green-context functions; rebuild it (npm run build:cuda)');
  return g;
}

/** Runs a driver step; a failure that means "no green contexts here" becomes GreenContextUnavailableError. */
function orUnavailable<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof CudaError && UNAVAILABLE.test(e.code)) throw new GreenContextUnavailableError(`${what}: ${e.code}: ${e.detail}`, e);
    throw e;
  }
}

export function smLayout(cu: GreenCuda, ordinal: number): SmLayout {
  const r = orUnavailable('cuDeviceGetDevResource(SM)', () => cu.smResource(ordinal));
  return { smCount: r.deviceSmCount, minPartition: r.deviceMinPartition, alignment: r.deviceAlignment };
}

/** The group size the driver should grant for a request: at least the minimum, rounded up to the alignment. */
export function expectedGrant(layout: SmLayout, requested: number): number {
  const a = Math.max(1, layout.alignment);
  return Math.ceil(Math.max(requested, layout.minPartition) / a) * a;
}

/** One group of at least `sms` SMs and the rest; a size the driver cannot make is an SmRequestError. */
function splitSms(cu: GreenCuda, ordinal: number, sms: number, flags: number, layout: SmLayout): SmSplit {
  let split: SmSplit;
  try {
    split = orUnavailable('cuDevSmResourceSplitByCount', () => cu.smSplit(ordinal, sms, flags));
  } catch (e) {
    if (e instanceof CudaError && /INVALID_RESOURCE_CONFIGURATION/.test(e.code))
      throw new SmRequestError(sms, layout.smCount, `the driver cannot make such a group (${e.detail})`);
    throw e;
  }
  if (split.groups !== 1)
    throw new SmRequestError(sms, layout.smCount, `no group that large fits: groups come in multiples of ${layout.alignment} ` +
      `(at least ${layout.minPartition}); the largest is about ${Math.floor(layout.smCount / Math.max(1, layout.alignment)) * layout.alignment}`);
  return split;
}

/** The SMs of one green context and the streams made on it (destroyed with it). */
export class SmGroup {
  private readonly streams: Handle[] = [];
  private destroyed = false;
  constructor(private readonly cu: GreenCuda, readonly green: Handle, readonly smCount: number) {}

  /** A new non-blocking stream whose kernels run only on this group's SMs (lower priority number = more urgent). */
  stream(priority = 0): Handle {
    if (this.destroyed) throw new InvalidRangeError('stream(): this SM group was destroyed');
    const s = this.cu.greenStreamCreate(this.green, priority);
    this.streams.push(s);
    return s;
  }

  /** Destroys the streams, then the green context; the caller has drained the streams. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const s of this.streams.splice(0)) this.cu.streamDestroy(s);
    this.cu.greenDestroy(this.green);
  }
}

export interface SmPartitionOptions {
  /** SMs asked for the partition (the driver rounds up to its granularity). */
  sms: number;
  ordinal?: number;
  /** Also make a green context of the remaining SMs (for inference). */
  rest?: boolean;
  /** Split without regard for co-scheduling (finer groups; loses large clusters on sm_90). */
  ignoreCoscheduling?: boolean;
}

/**
 * A green context with about `sms` SMs (`part`), and optionally one with the
 * remaining SMs (`rest`). The device must be open (CudaDevice.open) first.
 */
export class SmPartition {
  private destroyed = false;

  private constructor(
    readonly cu: GreenCuda,
    readonly layout: SmLayout,
    readonly requested: number,
    readonly part: SmGroup,
    readonly rest: SmGroup | null,
  ) {}

  /** SMs the driver actually gave the partition (cuGreenCtxGetDevResource). */
  get granted(): number {
    return this.part.smCount;
  }

  static create(addon: CudaAddon, opts: SmPartitionOptions): SmPartition {
    const cu = greenAddon(addon);
    const ordinal = opts.ordinal ?? 0;
    const layout = smLayout(cu, ordinal);
    const { sms } = opts;
    if (!Number.isInteger(sms) || sms < 1) throw new SmRequestError(sms, layout.smCount, 'ask for a whole number of SMs, at least 1');
    if (sms > layout.smCount) throw new SmRequestError(sms, layout.smCount, 'more SMs than the device has');
    const flags = opts.ignoreCoscheduling ? SPLIT_IGNORE_COSCHEDULING : 0;
    const split = splitSms(cu, ordinal, sms, flags, layout);
    const make = (resource: ArrayBuffer): SmGroup => {
      const green = orUnavailable('cuGreenCtxCreate', () => cu.greenCreate(ordinal, resource));
      try {
        return new SmGroup(cu, green, cu.greenSmCount(green));
      } catch (e) {
        cu.greenDestroy(green);
        throw e;
      }
    };
    const part = make(split.group);
    let rest: SmGroup | null = null;
    if (opts.rest) {
      try {
        if (split.restSmCount === 0) throw new SmRequestError(sms, layout.smCount, `the partition took all SMs (${part.smCount}); none are left for the rest`);
        rest = make(split.rest);
      } catch (e) {
        part.destroy();
        throw e;
      }
    }
    return new SmPartition(cu, layout, sms, part, rest);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      this.rest?.destroy();
    } finally {
      this.part.destroy();
    }
  }
}

/**
 * Moves a lane of work to another stream: everything already issued on `from`
 * finishes before anything issued on `to` from now on (an event recorded on
 * `from`, waited on by `to`; the event may be re-recorded at once). With `blas`,
 * that cuBLAS handle's GEMMs go on `to` too. Returns `to`, the stream to use from now on.
 */
export function switchStream(cu: GreenCuda, from: Handle, to: Handle, event: Handle, blas?: Handle): Handle {
  if (from === to) return to;
  cu.eventRecord(event, from);
  cu.streamWaitEvent(to, event);
  if (blas !== undefined) cu.blasSetStream(blas, to);
  return to;
}
