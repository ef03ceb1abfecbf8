// The reference KV cache: each sequence's keys and values in growable host
// arrays [heads, capacity, headDim] per layer and k/v.
import type { TensorData } from '../infer/store.js';
import { copyTokens, newTokens, pastName, presentName, type KvCache, type KvShape } from './cache.js';
import { SequenceError } from './errors.js';

interface HostSequence {
  length: number;
  capacity: number;
  /** [layer * 2 + (k ? 0 : 1)] -> [heads, capacity, headDim]. */
  planes: Float32Array[];
}

export class HostKvCache implements KvCache {
  private readonly seqs = new Map<number, HostSequence>();
  /**
   * Padded pasts reuse these arrays (per plane, by size): allocating and
   * zero-filling a step's past (tens of MB at GPT-2-small shape) cost more
   * host time than the copy itself. Their padding keeps whatever finite keys
   * and values an earlier step left there; the attention bias masks it
   * (a masked score is exp(-1e9) = 0 whatever the key, and 0 x a finite
   * value is 0). One array per plane, as large as the largest past so far;
   * a past is a view of its first `size` floats.
   */
  private readonly padded: Float32Array[] = [];
  constructor(readonly shape: KvShape) {}

  start(seq: number): void {
    if (this.seqs.has(seq)) throw new SequenceError(seq, 'already started');
    this.seqs.set(seq, { length: 0, capacity: 0, planes: [] });
  }

  length(seq: number): number {
    return this.get(seq).length;
  }

  reserve(seq: number, tokens: number): void {
    const s = this.get(seq);
    const need = s.length + tokens;
    if (need <= s.capacity) return;
    const cap = Math.max(need, s.capacity * 2, 16);
    const { heads: H, headDim: D, layers } = this.shape;
    s.planes = Array.from({ length: layers * 2 }, (_, i) => {
      const p = new Float32Array(H * cap * D);
      for (let h = 0; h < H && s.capacity > 0; h++) p.set(s.planes[i]!.subarray(h * s.capacity * D, (h * s.capacity + s.length) * D), h * cap * D);
      return p;
    });
    s.capacity = cap;
  }

  async past(seqs: number[], pad?: { rows: number; P: number }): Promise<Record<string, TensorData>> {
    const { heads: H, headDim: D, layers } = this.shape;
    const P = pad?.P ?? this.get(seqs[0]!).length;
    const rows = pad?.rows ?? seqs.length;
    const out: Record<string, TensorData> = {};
    for (let l = 0; l < layers; l++) {
      for (const [j, kv] of (['k', 'v'] as const).entries()) {
        const size = rows * H * P * D;
        const data = pad ? this.paddedPlane(l * 2 + j, size) : new Float32Array(size);
        seqs.forEach((id, b) => {
          const s = this.get(id);
          if (pad ? s.length > P : s.length !== P) throw new SequenceError(id, `has ${s.length} cached tokens; the batch has ${P}`);
          const n = s.length;
          for (let h = 0; h < H && n > 0; h++) data.set(s.planes[l * 2 + j]!.subarray(h * s.capacity * D, (h * s.capacity + n) * D), ((b * H + h) * P) * D);
        });
        out[pastName(kv, l)] = { type: 'float32', dims: [rows, H, P, D], data };
      }
    }
    return out;
  }

  async append(seqs: number[], present: Record<string, TensorData>, tokens: number | readonly number[], from?: number): Promise<void> {
    for (const [b, id] of seqs.entries()) {
      const s = this.get(id);
      const L = present[presentName('k', 0)]!.dims[2]!;
      const { n, at } = newTokens(tokens, b, L, from);
      this.reserve(id, n);
      for (let l = 0; l < this.shape.layers; l++) {
        for (const [j, kv] of (['k', 'v'] as const).entries()) {
          const t = present[presentName(kv, l)]!;
          copyTokens(this.shape, t.data as Float32Array, b, L, at, n, s.planes[l * 2 + j]!, s.capacity, s.length);
        }
      }
      s.length += n;
    }
  }

  async end(seq: number): Promise<void> {
    this.get(seq);
    this.seqs.delete(seq);
  }

  private paddedPlane(plane: number, size: number): Float32Array {
    let buf = this.padded[plane];
    if (!buf || buf.length < size) {
      buf = new Float32Array(size);
      this.padded[plane] = buf;
    }
    return buf.subarray(0, size);
  }

  private get(seq: number): HostSequence {
    const s = this.seqs.get(seq);
    if (!s) throw new SequenceError(seq, 'is not in the cache');
    return s;
  }
}
