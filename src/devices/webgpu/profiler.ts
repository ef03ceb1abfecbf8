// Reused host-visible buffers of the WebGPU backend: readback staging buffers
// (one per size class, kept between reads, so a run creates no buffer), and
// the timestamp queries of a profile (`handover infer --profile`).
import { DeviceError } from '../../core/errors.js';

/** Staging sizes are powers of two from 4 KiB; each class keeps a few idle buffers. */
const MIN_STAGING = 4096;
const KEEP_PER_CLASS = 4;

export class StagingPool {
  private readonly idle = new Map<number, GPUBuffer[]>();
  constructor(private readonly gpu: GPUDevice) {}

  /** An unmapped MAP_READ | COPY_DST buffer of at least `bytes` bytes; give() it back when done. */
  take(bytes: number): GPUBuffer {
    const size = Math.max(MIN_STAGING, 2 ** Math.ceil(Math.log2(Math.max(4, bytes))));
    return this.idle.get(size)?.pop() ?? this.gpu.createBuffer({ label: `staging ${size}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  give(b: GPUBuffer): void {
    const list = this.idle.get(b.size) ?? [];
    if (list.length >= KEEP_PER_CLASS) return b.destroy();
    list.push(b);
    this.idle.set(b.size, list);
  }

  destroy(): void {
    for (const list of this.idle.values()) for (const b of list) b.destroy();
    this.idle.clear();
  }
}

export interface KernelTime {
  /** The kernel that ran (the variant's name where one replaced the portable kernel). */
  kernel: string;
  /** The device's profileLabel when it was launched. */
  label: string;
  /** GPU time between the start and the end of its pass, in milliseconds. */
  ms: number;
}

/** WebGPU allows at most 4096 queries in a set: 2048 launches. */
const MAX_QUERIES = 4096;

export class TimestampProfiler {
  private readonly set: GPUQuerySet;
  private readonly kernels: { kernel: string; label: string }[] = [];
  private resolved: GPUBuffer | null = null;
  private readback: GPUBuffer | null = null;

  constructor(private readonly gpu: GPUDevice) {
    this.set = gpu.createQuerySet({ type: 'timestamp', count: MAX_QUERIES });
  }

  /** The timestamp writes of the next launch's pass (none once the set is full). */
  next(kernel: string, label: string): GPUComputePassTimestampWrites | undefined {
    const i = this.kernels.length;
    if (2 * i + 2 > MAX_QUERIES) return undefined;
    this.kernels.push({ kernel, label });
    return { querySet: this.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Encodes the resolve of every query written and its copy to a readable buffer. */
  resolve(enc: GPUCommandEncoder): void {
    const count = Math.max(2, 2 * this.kernels.length);
    const bytes = count * 8;
    this.resolved = this.gpu.createBuffer({ label: 'timestamps', size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readback = this.gpu.createBuffer({ label: 'timestamps readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (this.kernels.length > 0) enc.resolveQuerySet(this.set, 0, count, this.resolved, 0);
    enc.copyBufferToBuffer(this.resolved, 0, this.readback, 0, bytes);
  }

  async read(): Promise<KernelTime[]> {
    if (!this.readback) throw new DeviceError('TimestampProfiler.read', 'resolve() was not encoded');
    try {
      await this.readback.mapAsync(GPUMapMode.READ);
      const t = new BigInt64Array(this.readback.getMappedRange().slice(0));
      return this.kernels.map(({ kernel, label }, i) => ({ kernel, label, ms: Math.max(0, Number(t[2 * i + 1]! - t[2 * i]!)) / 1e6 }));
    } finally {
      this.readback.destroy();
      this.resolved?.destroy();
      this.set.destroy();
    }
  }
}
