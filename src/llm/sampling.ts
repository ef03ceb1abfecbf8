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
  /** Nucleus sampling: the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
  /** Seed of the sampler (same seed, same tokens). */
  seed?: number;
}

export function checkSampling(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) throw new GenerateInputError('temperature', `must be a finite number >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw new GenerateInputError('topK', `must be an integer >= 0, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new GenerateInputError('topP', `must be in (0, 1], got ${o.topP}`);
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
  let max = -Infinity;
  for (const i of ids) max = Math.max(max, row[i]!);
  let w = ids.map((i) => Math.exp((row[i]! - max) / temp));
  let total = w.reduce((s, x) => s + x, 0);
  if (o.topP !== undefined && o.topP < 1) [ids, w, total] = nucleus(ids, w, total, o.topP);
  let u = random() * total;
  for (let j = 0; j < ids.length; j++) {
    u -= w[j]!;
    if (u <= 0) return ids[j]!;
  }
  return ids[ids.length - 1]!;
}

/** The most likely tokens (by weight, ties by id) whose share of `total` first reaches p. */
function nucleus(ids: number[], w: number[], total: number, p: number): [number[], number[], number] {
  const order = ids.map((_, j) => j).sort((a, b) => w[b]! - w[a]! || ids[a]! - ids[b]!);
  const keptIds: number[] = [];
  const kept: number[] = [];
  let sum = 0;
  for (const j of order) {
    keptIds.push(ids[j]!);
    kept.push(w[j]!);
    sum += w[j]!;
    if (sum >= p * total) break;
  }
  return [keptIds, kept, sum];
}
