// A GPU simulated on the CPU, for testing the data-parallel protocol with
// the real Gate and many simulated ranks in one process. Kernels are host
// callbacks that take simulated time; a collective completes only when every
// rank has launched it, as an NCCL all-reduce does.
import { GpuDevice, type Backing, type DeviceInfo, type Launch, type Range, type SimulatedKernel } from '../../core/device.js';
import { InvalidRangeError } from '../../core/errors.js';

type Op = () => Promise<void>;

/** A sum over ranks that completes only once every rank has called it (NCCL-like). */
export interface SimAllReduce {
  allReduce(key: string, data: Float64Array): Promise<Float64Array>;
}

/** Rendezvous of one collective call per rank (an all-reduce of step k). */
export class SimCollective implements SimAllReduce {
  private readonly calls = new Map<string, { arrived: number; data: Float64Array[]; done: Promise<Float64Array>; resolve: (v: Float64Array) => void }>();
  constructor(readonly ranks: number) {}

  /** Resolves with the element-wise sum once all ranks have called with the same key. */
  allReduce(key: string, data: Float64Array): Promise<Float64Array> {
    let c = this.calls.get(key);
    if (!c) {
      let resolve!: (v: Float64Array) => void;
      const done = new Promise<Float64Array>((r) => (resolve = r));
      c = { arrived: 0, data: [], done, resolve };
      this.calls.set(key, c);
    }
    c.arrived++;
    c.data.push(data);
    if (c.arrived === this.ranks) {
      const sum = new Float64Array(data.length);
      for (const d of c.data) for (let i = 0; i < d.length; i++) sum[i]! += d[i]!;
      this.calls.delete(key);
      c.resolve(sum);
    }
    return c.done;
  }

  pending(): string[] {
    return [...this.calls.keys()];
  }
}

export class SimDevice extends GpuDevice {
  readonly info: DeviceInfo = {
    backend: 'sim',
    name: 'simulated GPU',
    vendor: 'sim',
    architecture: 'cpu',
    software: true,
    limits: { maxBackingBytes: 2 ** 30, maxBindingBytes: 2 ** 30, bindingAlignment: 4, maxGroupsPerDimension: 65535 },
    capabilities: { remap: false, timestamps: false },
  };
  private readonly ops = new Map<string, Op>();
  private nextOp = 0;
  private pending: Op[] = [];
  /** The tail of the in-order queue of submitted work. */
  private queue: Promise<void> = Promise.resolve();

  /** A launch that runs `fn` on the simulated GPU, in queue order. */
  op(fn: Op): Launch {
    const kernel: SimulatedKernel = `sim#${this.nextOp++}`;
    this.ops.set(kernel, fn);
    return { kernel, bindings: [], threads: [1] };
  }

  async prepare(): Promise<void> {}
  destroy(): void {}
  protected _createBacking(): void {}
  protected _destroyBacking(_b: Backing): void {}
  protected _write(_r: Range, _d: ArrayBufferView): void {}
  protected async _read(r: Range): Promise<Uint8Array> {
    return new Uint8Array(r.bytes);
  }
  protected _zero(): void {}
  protected _copy(): void {}
  protected _launch(kernel: string): void {
    const fn = this.ops.get(kernel);
    if (!fn) throw new InvalidRangeError(`simulated kernel ${kernel} is unknown`);
    this.ops.delete(kernel);
    this.pending.push(fn);
  }
  protected _submit(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.queue = this.queue.then(async () => {
      for (const fn of batch) await fn();
    });
    return this.queue;
  }
}

/** Simulated kernel time: resolves after `ms` of wall time (setTimeout granularity). */
export function busy(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
