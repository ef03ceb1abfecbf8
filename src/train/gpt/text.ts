// Text for the GPT: a byte-level tokenizer, corpora as token streams split
// into training and validation, and samples as fixed-length windows. Works in
// Node and in browsers; loading corpora from disk is in text-node.ts.
import { UsageError } from '../../core/errors.js';
import { seeded } from '../data.js';

/** Byte-level tokens: every UTF-8 byte is a token, so any text encodes and vocab is 256. */
export const BYTE_VOCAB = 256;

export function encodeBytes(text: string): Uint16Array {
  return Uint16Array.from(new TextEncoder().encode(text));
}

export function decodeBytes(tokens: ArrayLike<number>): string {
  return new TextDecoder().decode(Uint8Array.from(tokens as ArrayLike<number>));
}

/**
 * A token stream cut into samples: sample i is the window of context + 1
 * tokens starting at i * context (inputs are its first `context` tokens,
 * targets its last `context`).
 */
export interface TokenDataset {
  name: string;
  tokens: Uint16Array;
  context: number;
  vocab: number;
  /** Samples (windows). */
  n: number;
}

export interface TextSplit {
  train: TokenDataset;
  validation: TokenDataset;
}

export function tokenDataset(name: string, tokens: Uint16Array, context: number, vocab: number): TokenDataset {
  const n = Math.floor((tokens.length - 1) / context);
  if (n < 1) throw new UsageError(`${name} has ${tokens.length} tokens: too few for one sample of context ${context}`);
  return { name, tokens, context, vocab, n };
}

/** Inputs and targets of samples `batch`, [take, context] each, u32. */
export function windows(d: TokenDataset, batch: ArrayLike<number>): { inputs: Uint32Array; targets: Uint32Array } {
  const T = d.context;
  const inputs = new Uint32Array(batch.length * T);
  const targets = new Uint32Array(batch.length * T);
  for (let i = 0; i < batch.length; i++) {
    const s = batch[i]! * T;
    for (let t = 0; t < T; t++) {
      inputs[i * T + t] = d.tokens[s + t]!;
      targets[i * T + t] = d.tokens[s + t + 1]!;
    }
  }
  return { inputs, targets };
}

/**
 * Documents to a split: every tenth document (from the seventh, so a small
 * corpus still has one) is validation, the rest training; each side is its
 * documents' texts joined by blank lines, byte-tokenized.
 */
export function splitDocuments(name: string, docs: string[], context: number): TextSplit {
  const val = docs.filter((_, i) => i % 10 === 6);
  const train = docs.filter((_, i) => i % 10 !== 6);
  if (val.length === 0) throw new UsageError(`${name}: ${docs.length} documents are too few for a validation split`);
  return {
    train: tokenDataset(`${name}-train`, encodeBytes(train.join('\n\n')), context, BYTE_VOCAB),
    validation: tokenDataset(`${name}-validation`, encodeBytes(val.join('\n\n')), context, BYTE_VOCAB),
  };
}

/**
 * One Brown corpus file (word/TAG tokens, sentences on indented lines,
 * blank lines between) as plain text: tags stripped, the `` and '' quotes
 * as ", punctuation attached to the word before it, sentences of a
 * paragraph on one line.
 */
export function stripBrownTags(tagged: string): string {
  const sentences: string[] = [];
  for (const line of tagged.split('\n')) {
    const words = line
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0)
      .map((w) => {
        const slash = w.lastIndexOf('/');
        const word = slash > 0 ? w.slice(0, slash) : w;
        return word === '``' || word === "''" ? '"' : word;
      });
    if (words.length === 0) continue;
    let s = '';
    let quoteOpen = false;
    for (const w of words) {
      const attach = /^[.,;:?!)\]}]+$/.test(w) || /^'/.test(w) || (w === '"' && quoteOpen);
      if (w === '"') quoteOpen = !quoteOpen;
      s += s === '' || attach || s.endsWith('(') || (s.endsWith('"') && quoteOpen && w !== '"') ? w : ` ${w}`;
    }
    sentences.push(s);
  }
  return sentences.join('\n');
}

/**
 * A small corpus generated in code (tests, a fresh clone with no corpus):
 * `docs` documents of simple English-like sentences from a seeded grammar,
 * so a model can learn it and its loss falls.
 */
export function fixtureDocuments(docs: number, sentencesPerDoc: number, seed = 1): string[] {
  const rand = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const subjects = ['the cat', 'a dog', 'the old man', 'my sister', 'the jury', 'a bird', 'the city'];
  const verbs = ['sees', 'likes', 'finds', 'makes', 'takes', 'wants', 'reads'];
  const objects = ['the ball', 'a letter', 'the river', 'some bread', 'the house', 'a song', 'the light'];
  const tails = ['', ' today', ' at night', ' in the rain', ' again', ' with care'];
  return Array.from({ length: docs }, () =>
    Array.from({ length: sentencesPerDoc }, () => {
      const s = `${pick(subjects)} ${pick(verbs)} ${pick(objects)}${pick(tails)}.`;
      return s[0]!.toUpperCase() + s.slice(1);
    }).join(' '),
  );
}
