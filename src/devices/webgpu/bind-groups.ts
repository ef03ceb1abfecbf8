// A launch's bindings on WebGPU: the uniform ring that holds each launch's
// params (one PARAM_SLOT each, written to the GPU with the submit that reads
// them) and the cache of bind groups, keyed by kernel, params slot and the
// ranges bound.

import type { Range } from '../../core/device.js';

export const PARAM_SLOT = 256; // minUniformBufferOffsetAlignment
const BIND_GROUP_CACHE = 4096;

/** One bound range: the shader's binding number and the range behind it. */
export interface Bound {
  binding: number;
  r: Range;
}

export class ParamsRing {
  buffer: GPUBuffer;
  private host = new Uint8Array(64 * PARAM_SLOT);
  private used = 0;

  constructor(private readonly gpu: GPUDevice) {
    this.buffer = this.make(this.host.byteLength);
  }

  /**
   * The slot `params` goes in. A full ring first has `flush` submit the work
   * encoded so far (it keeps its slots); below 1 MiB the ring then grows, and
   * `grown` drops the bind groups that name the old buffer.
   */
  slot(params: ArrayBuffer, flush: () => void, grown: () => void): number {
    if (this.used + PARAM_SLOT > this.host.byteLength) {
      if (this.host.byteLength >= 1 << 20) {
        flush(); // too many launches in one encoder: submit and start over
      } else {
        this.grow(flush);
        grown();
      }
    }
    const slot = this.used;
    this.host.set(new Uint8Array(params), slot);
    this.host.fill(0, slot + params.byteLength, slot + PARAM_SLOT);
    this.used += PARAM_SLOT;
    return slot;
  }

  /** Writes the slots used so far to the GPU buffer (queued before the submit that reads them). */
  upload(queue: GPUQueue): void {
    if (this.used > 0) queue.writeBuffer(this.buffer, 0, this.host, 0, this.used);
  }

  /** The work that used the slots was submitted: they are free again. */
  reset(): void {
    this.used = 0;
  }

  destroy(): void {
    this.buffer.destroy();
  }

  /** Grows the params ring; work already encoded keeps its slots, so submit it first. */
  private grow(flush: () => void): void {
    flush();
    const bigger = new Uint8Array(this.host.byteLength * 2);
    this.host = bigger;
    this.buffer.destroy();
    this.buffer = this.make(bigger.byteLength);
  }

  private make(bytes: number): GPUBuffer {
    return this.gpu.createBuffer({ label: 'params', size: bytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }
}

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();

  constructor(private readonly gpu: GPUDevice) {}

  /** The bind group of `kernel` with its params in ring `slot` (-1: none) and `bound`; made on a miss. */
  get(kernel: string, pipeline: GPUComputePipeline, slot: number, params: GPUBuffer, bound: Bound[], buf: (r: Range) => GPUBuffer): GPUBindGroup {
    let key = kernel;
    if (slot >= 0) key += `|p${slot}`;
    for (const { binding, r } of bound) key += `|${binding}=${r.backing.id}:${r.offset}:${r.bytes}`;
    let group = this.groups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = bound.map(({ binding, r }) => ({ binding, resource: { buffer: buf(r), offset: r.offset, size: r.bytes } }));
      if (slot >= 0) entries.unshift({ binding: 0, resource: { buffer: params, offset: slot, size: PARAM_SLOT } });
      group = this.gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      if (this.groups.size >= BIND_GROUP_CACHE) this.groups.clear();
      this.groups.set(key, group);
    }
    return group;
  }

  /** Drops the groups that bind backing `id` (destroyed, or its buffer replaced). */
  dropBacking(id: number): void {
    for (const k of [...this.groups.keys()]) if (k.includes(`=${id}:`)) this.groups.delete(k);
  }

  /** Drops the groups that bind the params ring (it was replaced). */
  dropParams(): void {
    for (const k of [...this.groups.keys()]) if (k.includes('|p')) this.groups.delete(k);
  }
}
