// Data sets for the trainer: the UCI digits (shipped in data/) and
// Fashion-MNIST (Debian's dataset-fashion-mnist, IDX files).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../core/errors.js';

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

/** The package's data/ folder, from src/ (tests) or dist/src/ (the built CLI). */
function dataDir(): string {
  for (const up of ['../../data/', '../../../data/']) {
    const p = new URL(up, import.meta.url).pathname;
    if (existsSync(`${p}digits.csv.gz`)) return p;
  }
  return new URL('../../data/', import.meta.url).pathname;
}
const FASHION = '/usr/share/datasets/fashion-mnist';

/** Seeded Mulberry32 generator. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** UCI digits: 1,797 8x8 images; a seeded 80/20 split. */
export function loadDigits(seed = 0, file?: string): Split {
  const path = file ?? `${dataDir()}digits.csv.gz`;
  if (!existsSync(path)) throw new UsageError(`digits data not found at ${path}`);
  const rows = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n');
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

function idx(path: string, magic: number): Uint8Array {
  if (!existsSync(path))
    throw new UsageError(`Fashion-MNIST not found at ${path}: install it with 'apt-get install dataset-fashion-mnist' (or 'npm run setup' as root)`);
  const buf = gunzipSync(readFileSync(path));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0) !== magic) throw new UsageError(`${path} is not an IDX file of the expected kind`);
  const dims = magic & 0xff;
  return new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * dims, buf.byteLength - 4 - 4 * dims);
}

function fashionPart(prefix: string, name: string, dir: string): Dataset {
  const px = idx(`${dir}/${prefix}-images-idx3-ubyte.gz`, 0x803);
  const lb = idx(`${dir}/${prefix}-labels-idx1-ubyte.gz`, 0x801);
  const n = lb.length;
  if (px.length !== n * 784) throw new UsageError(`${dir}: ${prefix} images and labels disagree`);
  const x = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) x[i] = px[i]! / 255;
  return { name, x, labels: Uint32Array.from(lb), n, features: 784, classes: 10 };
}

/** Fashion-MNIST: 60,000 training and 10,000 test images, 28x28. */
export function loadFashionMnist(dir = FASHION): Split {
  return { train: fashionPart('train', 'fashion-train', dir), test: fashionPart('t10k', 'fashion-test', dir) };
}

export function loadDataset(name: string, seed = 0): Split {
  if (name === 'digits') return loadDigits(seed);
  if (name === 'fashion-mnist') return loadFashionMnist();
  throw new UsageError(`unknown dataset '${name}': use digits or fashion-mnist`);
}
