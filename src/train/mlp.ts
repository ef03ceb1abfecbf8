// The MLP's parameter layout and PyTorch-style initialisation. Every tensor
// starts on a 256-byte boundary so it can be bound on its own.
import { seeded } from './data.js';

export interface LinearLayout {
  inF: number;
  outF: number;
  /** Byte offsets inside a parameter-shaped allocation. */
  w: number;
  b: number;
}

export interface MlpLayout {
  sizes: number[];
  layers: LinearLayout[];
  /** Bytes of one parameter-shaped allocation (params, grads, optimizer state). */
  bytes: number;
  /** Parameter count (without padding). */
  count: number;
}

export const align256 = (n: number): number => Math.ceil(n / 256) * 256;

export function mlpLayout(sizes: number[]): MlpLayout {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new RangeError(`layer sizes must be at least two positive integers, got ${sizes.join('-')}`);
  let at = 0;
  let count = 0;
  const layers: LinearLayout[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inF = sizes[l]!;
    const outF = sizes[l + 1]!;
    const w = at;
    at = align256(at + inF * outF * 4);
    const b = at;
    at = align256(at + outF * 4);
    layers.push({ inF, outF, w, b });
    count += inF * outF + outF;
  }
  return { sizes, layers, bytes: at, count };
}

/**
 * torch.nn.Linear's default init: kaiming_uniform(a = sqrt(5)) for the
 * weight, i.e. U(-1/sqrt(in), 1/sqrt(in)), and the same bound for the bias.
 * Returns the whole parameter allocation's contents (padding zero).
 */
export function initParameters(layout: MlpLayout, seed: number): Float32Array {
  const out = new Float32Array(layout.bytes / 4);
  const rand = seeded(seed);
  for (const l of layout.layers) {
    const bound = 1 / Math.sqrt(l.inF);
    for (let i = 0; i < l.inF * l.outF; i++) out[l.w / 4 + i] = (rand() * 2 - 1) * bound;
    for (let i = 0; i < l.outF; i++) out[l.b / 4 + i] = (rand() * 2 - 1) * bound;
  }
  return out;
}
