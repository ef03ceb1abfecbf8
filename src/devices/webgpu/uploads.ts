// Reused upload buffers of the WebGPU backend on hardware adapters. Dawn's
// queue.writeBuffer stages a large write through memory it takes afresh
// (on the H200 a batch-8 image input of 4.8 MB took 2.7-3.0 ms to write, more
// than the GPU's whole run). Here a write of UPLOAD_MIN bytes or more is copied
// into a MAP_WRITE buffer that is already mapped, and the device encodes a
// copy from it in order with the launches. Once the submit that carries the
// copy is handed to the queue, the buffer is mapped again (mapAsync resolves
// when the GPU has read it) and comes back to the pool for a later write.

/** Writes smaller than this go through queue.writeBuffer (its ring buffer is cheap for them). */
export const UPLOAD_MIN = 64 << 10;
/** Upload sizes are powers of two; each class keeps a few mapped buffers. */
const KEEP_PER_CLASS = 2;

export class UploadPool {
  private readonly ready = new Map<number, GPUBuffer[]>();
  /** Filled and encoded, waiting for the submit that carries their copy. */
  private encoded: GPUBuffer[] = [];
  /** Buffers created or being mapped again (tests: how many the pool made). */
  created = 0;
  private destroyed = false;
  private readonly mapping = new Set<Promise<void>>();

  constructor(private readonly gpu: GPUDevice) {}

  /**
   * A COPY_SRC buffer holding `data` at offset 0, unmapped, for one copy in
   * the pending encoder; null when `data` is too small or not whole words.
   */
  stage(data: ArrayBufferView): GPUBuffer | null {
    const bytes = data.byteLength;
    if (bytes < UPLOAD_MIN || bytes % 4 !== 0) return null;
    const size = 2 ** Math.ceil(Math.log2(bytes));
    let b = this.ready.get(size)?.pop();
    if (!b) {
      b = this.gpu.createBuffer({ label: `upload ${size}`, size, usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
      this.created++;
    }
    new Uint8Array(b.getMappedRange(0, bytes)).set(new Uint8Array(data.buffer, data.byteOffset, bytes));
    b.unmap();
    this.encoded.push(b);
    return b;
  }

  /** The pending encoder was submitted: map its upload buffers again for later writes. */
  submitted(): void {
    for (const b of this.encoded.splice(0)) {
      const mapped: Promise<void> = b.mapAsync(GPUMapMode.WRITE).then(
        () => this.give(b),
        () => b.destroy(),
      ).finally(() => this.mapping.delete(mapped));
      this.mapping.add(mapped);
    }
  }

  /** Resolves once every upload buffer handed to the queue so far is mapped again (or dropped). */
  async settled(): Promise<void> {
    await Promise.all([...this.mapping]);
  }

  private give(b: GPUBuffer): void {
    const list = this.ready.get(b.size) ?? [];
    if (this.destroyed || list.length >= KEEP_PER_CLASS) return b.destroy();
    list.push(b);
    this.ready.set(b.size, list);
  }

  destroy(): void {
    this.destroyed = true;
    for (const list of this.ready.values()) for (const b of list) b.destroy();
    this.ready.clear();
  }
}
