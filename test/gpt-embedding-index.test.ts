// The embedding backward's host index (src/kernels/embedding.ts): a counting
// sort since round 8 (it runs on the trainer's host loop every micro-batch),
// checked against the stable comparison sort it replaced, on fresh random
// tokens of odd sizes and vocabularies.
import { describe, expect, it } from 'vitest';
import { embeddingIndex } from '../src/kernels/embedding.js';

/** The reference: rows sorted by (token, row), segments where the token changes. */
function reference(tokens: Uint32Array): { order: number[]; segments: number[] } {
  const order = [...tokens.keys()].sort((x, y) => tokens[x]! - tokens[y]! || x - y);
  const segments = order.flatMap((row, i) => (i === 0 || tokens[row] !== tokens[order[i - 1]!] ? [i] : []));
  return { order, segments: [...segments, order.length] };
}

const seed = Date.now() % 100_000;
let state = seed;
const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe(`embeddingIndex (seed ${seed})`, () => {
  const cases: [string, Uint32Array][] = [
    ['empty', new Uint32Array(0)],
    ['one row', Uint32Array.from([7])],
    ['one token repeated', new Uint32Array(37).fill(3)],
    ['bytes, 3 x 129 rows', Uint32Array.from({ length: 3 * 129 }, () => Math.floor(rand() * 256))],
    ['bytes, 32 x 128 rows', Uint32Array.from({ length: 32 * 128 }, () => Math.floor(rand() * 256))],
    ['GPT-2 vocabulary, sparse', Uint32Array.from({ length: 501 }, () => Math.floor(rand() * 50257))],
    ['few distinct, large ids', Uint32Array.from({ length: 97 }, () => [0, 50256, 1234][Math.floor(rand() * 3)]!)],
  ];
  for (const [name, tokens] of cases)
    it(`matches the stable comparison sort: ${name}`, () => {
      const got = embeddingIndex(tokens);
      const want = reference(tokens);
      expect([...got.order]).toEqual(want.order);
      expect([...got.segments]).toEqual(want.segments);
      expect(got.unique).toBe(want.segments.length - 1);
    });
});
