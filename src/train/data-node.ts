// Loading the data sets from files in Node: the UCI digits shipped in data/,
// Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files).
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../core/errors.js';
import { idxPayload, parseDigits, type Dataset, type Split } from './data.js';

/** Debian's dataset-fashion-mnist, or HANDOVER_FASHION_MNIST (a folder of the four IDX .gz files). */
const FASHION = process.env.HANDOVER_FASHION_MNIST || '/usr/share/datasets/fashion-mnist';

/** The package's data/ folder, from src/ (tests) or dist/src/ (the built CLI). */
export function dataDir(): string {
  for (const up of ['../../data/', '../../../data/']) {
    const p = new URL(up, import.meta.url).pathname;
    if (existsSync(`${p}digits.csv.gz`)) return p;
  }
  return new URL('../../data/', import.meta.url).pathname;
}

/** UCI digits: 1,797 8x8 images; a seeded 80/20 split. */
export function loadDigits(seed = 0, file?: string): Split {
  const path = file ?? `${dataDir()}digits.csv.gz`;
  if (!existsSync(path)) throw new UsageError(`digits data not found at ${path}`);
  return parseDigits(gunzipSync(readFileSync(path)).toString('utf8'), seed);
}

function idx(path: string, magic: number): Uint8Array {
  if (!existsSync(path))
    throw new UsageError(`Fashion-MNIST not found at ${path}: install it with 'apt-get install dataset-fashion-mnist' (or 'npm run setup' as root)`);
  return idxPayload(gunzipSync(readFileSync(path)), magic, path);
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
