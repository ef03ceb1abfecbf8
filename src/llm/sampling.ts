// Choosing the next token from a logits row: greedy (temperature 0) or
// seeded sampling with temperature and top-k.
import { GenerateInputError } from './errors.js';
import { seeded } from '../train/data.js';

/** The sampler's seeded generator (the project's one, src/core/random.ts). */
export const seededRandom = seeded;

export interface SamplingOptions {
  /** 0 (default): greedy, the arg-max token. */
  temperature?: number;
  /** Sample among the k most likely tokens only (0 or absent: all). */
  topK?: number;
  /** Seed of the sampler (same seed, same tokens). */
  seed?: number;
}

export function checkSampling(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new GenerateInputError('temperature', `must be a finite number >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new GenerateInputError('topK', `must be an integer >= 0, got ${o.topK}`);
}

export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** A token from one logits row; `random` is the sequence's seeded stream. */
export function sampleToken(row: Float32Array, o: SamplingOptions, random: () => number): number {
  const temp = o.temperature ?? 0;
  if (temp === 0) return argmax(row);
  let ids = Array.from(row.keys());
  if (o.topK && o.topK < row.length) ids = ids.sort((a, b) => row[b]! - row[a]! || a - b).slice(0, o.topK);
  const max = Math.max(...ids.map((i) => row[i]!));
  const w = ids.map((i) => Math.exp((row[i]! - max) / temp));
  const total = w.reduce((s, x) => s + x, 0);
  let u = random() * total;
  for (let j = 0; j < ids.length; j++) {
    u -= w[j]!;
    if (u <= 0) return ids[j]!;
  }
  return ids[ids.length - 1]!;
}
