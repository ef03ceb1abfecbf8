// Data sets for the trainer, in forms that work in Node and in browsers:
// types, seeded order, and parsers. File loading is in data-node.ts.
import { UsageError } from '../core/errors.js';
import { seeded } from '../core/random.js';

export interface Dataset {
  name: string;
  /** Row-major [n, features], scaled to [0, 1]. */
  x: Float32Array;
  labels: Uint32Array;
  n: number;
  features: number;
  classes: number;
}

export interface Split {
  train: Dataset;
  test: Dataset;
}

/** The project's one seeded generator (src/core/random.ts). */
export { seeded };

export function permutation(n: number, rand: () => number): Uint32Array {
  const p = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

function subset(d: Dataset, idx: ArrayLike<number>, name: string): Dataset {
  const x = new Float32Array(idx.length * d.features);
  const labels = new Uint32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    x.set(d.x.subarray(idx[i]! * d.features, (idx[i]! + 1) * d.features), i * d.features);
    labels[i] = d.labels[idx[i]!]!;
  }
  return { ...d, name, x, labels, n: idx.length };
}

/** Parses the UCI digits CSV (64 features in 0..16, then the label) and splits it 80/20, seeded. */
export function parseDigits(text: string, seed = 0): Split {
  const rows = text.trim().split('\n');
  const features = 64;
  const x = new Float32Array(rows.length * features);
  const labels = new Uint32Array(rows.length);
  rows.forEach((row, i) => {
    const v = row.split(',').map(Number);
    if (v.length !== features + 1 || v.some((n) => !Number.isFinite(n))) throw new UsageError(`digits row ${i + 1} is malformed`);
    for (let j = 0; j < features; j++) x[i * features + j] = v[j]! / 16;
    labels[i] = v[features]!;
  });
  const all: Dataset = { name: 'digits', x, labels, n: rows.length, features, classes: 10 };
  const order = permutation(all.n, seeded(seed ^ 0x5eed));
  const cut = Math.round(all.n * 0.8);
  return { train: subset(all, order.subarray(0, cut), 'digits-train'), test: subset(all, order.subarray(cut), 'digits-test') };
}

/** The payload of an IDX file (after its header), checking the magic number. */
export function idxPayload(buf: Uint8Array, magic: number, what: string): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.byteLength < 8 || dv.getUint32(0) !== magic) throw new UsageError(`${what} is not an IDX file of the expected kind`);
  const dims = magic & 0xff;
  return new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * dims, buf.byteLength - 4 - 4 * dims);
}
