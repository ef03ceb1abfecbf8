// The data-pollution check: randomized require / release / discard / load /
// unload / training-allocate / inference-run operations on one arena, every
// allocation filled on the GPU with a canary word naming its owner (and its
// model, with --isolate-models). When an allocation is taken, words read
// back from GPU memory at both ends of every page must be zero or the taker's
// own canary: a word of another owner is a pollution (a page readable by
// another owner before its zero-fill). When an allocation is freed, its pages
// must still hold its own canary: anything else is a corruption (a zero-fill
// or a compaction move that hit live data).
//
//   node dist/src/bench/pollution.js --backend cuda --ops 100000 [--seed 1] [--pages 64] [--page-kb 2048] [--shared-models]
// Prints one JSON line with the counts; exits 1 when either count is not 0.
import { Arena } from '../core/arena.js';
import type { Allocation } from '../core/allocation.js';
import type { GpuDevice } from '../core/device.js';
import { HandoverError, type Owner } from '../core/errors.js';
import { Gate } from '../core/gate.js';
import { fill } from '../kernels/elementwise.js';
import { seeded } from '../train/data.js';

export interface PollutionOptions {
  ops: number;
  seed: number;
  pages: number;
  pageBytes: number;
  /** Models share pages without a fill (the default arena): model-to-model reads are then allowed. */
  sharedModels: boolean;
  models: number;
}

export interface PollutionResult {
  ops: number;
  byOp: Record<string, number>;
  /** Allocations refused with a typed error (out of memory, training limit): expected under pressure. */
  refused: number;
  pagesChecked: number;
  pollutions: number;
  corruptions: number;
  zeroedBytes: number;
  movedBytes: number;
  first?: string;
}

const TAG = 0xc0000000;
/** A canary: tag, owner (1 train, 2 infer), model (0..63), sequence (16 bits). */
const canary = (owner: Owner, model: number, seq: number) => (TAG | ((owner === 'train' ? 1 : 2) << 28) | ((model & 0x3f) << 16) | (seq & 0xffff)) >>> 0;
const ownerOf = (w: number) => ((w >>> 28) & 3) === 1 ? 'train' : 'infer';
const modelOf = (w: number) => (w >>> 16) & 0x3f;
const isCanary = (w: number) => (w & 0xc0000000) >>> 0 === TAG && ((w >>> 28) & 3) !== 0;

interface Held {
  alloc: Allocation;
  word: number;
  model: number;
}

export async function runPollution(dev: GpuDevice, o: PollutionOptions): Promise<PollutionResult> {
  const arena = new Arena(dev, { bytes: o.pages * o.pageBytes, pageBytes: o.pageBytes, isolateModels: !o.sharedModels });
  const gate = new Gate(dev);
  const r = seeded(o.seed);
  const res: PollutionResult = { ops: 0, byOp: {}, refused: 0, pagesChecked: 0, pollutions: 0, corruptions: 0, zeroedBytes: 0, movedBytes: 0 };
  const train: Held[] = [];
  const weights = new Map<number, Held>();
  let seq = 0;
  const note = (what: string) => (res.first ??= what);

  /** Words at both ends of every page of an allocation, read back from the GPU. */
  const pageEnds = async (a: Allocation): Promise<number[]> => {
    const base = a.range();
    const words: number[] = [];
    for (let p = 0; p < a.pageCount; p++) {
      for (const at of [0, o.pageBytes - 16]) {
        const bytes = await dev.read({ backing: base.backing, offset: base.offset + p * o.pageBytes + at, bytes: 16 });
        words.push(...new Uint32Array(bytes.slice().buffer));
      }
    }
    return words;
  };

  const take = async (owner: Owner, model: number, label: string): Promise<Held | null> => {
    const pages = 1 + Math.floor(r() * Math.max(1, Math.min(8, o.pages / 8)));
    let alloc: Allocation;
    try {
      alloc = arena.allocate(owner, pages * o.pageBytes, label);
    } catch (e) {
      if (e instanceof HandoverError) return (res.refused++, null);
      throw e;
    }
    res.pagesChecked += alloc.pageCount;
    for (const w of await pageEnds(alloc)) {
      if (w === 0 || !isCanary(w)) continue;
      const foreign = ownerOf(w) !== owner || (owner === 'infer' && !o.sharedModels && modelOf(w) !== model);
      if (foreign) (res.pollutions++, note(`${label} (#${alloc.id}) read ${w.toString(16)} of ${ownerOf(w)} model ${modelOf(w)} at op ${res.ops}`));
    }
    const word = canary(owner, model, ++seq);
    dev.launch(fill(alloc, alloc.bytes / 4, word));
    return { alloc, word, model };
  };

  const give = async (h: Held): Promise<void> => {
    for (const w of await pageEnds(h.alloc))
      if (w !== h.word) (res.corruptions++, note(`${h.alloc.label} (#${h.alloc.id}) held ${w.toString(16)} instead of ${h.word.toString(16)} at op ${res.ops}`));
    arena.free(h.alloc);
  };

  const ops: Record<string, () => Promise<void>> = {
    require: async () => void arena.require(Math.floor(r() * 4) * o.pageBytes),
    release: async () => void arena.release(Math.floor(r() * 4) * o.pageBytes),
    train: async () => {
      const h = await take('train', 0, 'train:tensor');
      if (h) train.push(h);
    },
    discard: async () => {
      for (const h of train.splice(0)) await give(h);
      arena.reclaim(await gate.drain());
    },
    load: async () => {
      const m = Math.floor(r() * o.models);
      if (weights.has(m)) return;
      const h = await take('infer', m, `m${m}:weights`);
      if (h) weights.set(m, h);
    },
    unload: async () => {
      const m = Math.floor(r() * o.models);
      const h = weights.get(m);
      if (!h) return;
      weights.delete(m);
      await give(h);
      arena.reclaim(await arena.fence());
    },
    run: async () => {
      const m = Math.floor(r() * o.models);
      const h = await take('infer', m, `m${m}:activations`);
      if (!h) return;
      await give(h);
      arena.reclaim(await arena.fence());
    },
  };
  const names = Object.keys(ops);
  const weightsOf = [1, 1, 3, 2, 2, 2, 3];
  const total = weightsOf.reduce((a, b) => a + b, 0);
  try {
    for (; res.ops < o.ops; res.ops++) {
      let x = r() * total;
      let k = 0;
      while (x >= weightsOf[k]!) x -= weightsOf[k++]!;
      const name = names[k]!;
      res.byOp[name] = (res.byOp[name] ?? 0) + 1;
      await ops[name]!();
    }
    // Everything still held must still hold its canary.
    for (const h of [...train.splice(0), ...weights.values()]) await give(h);
  } finally {
    res.zeroedBytes = arena.zeroedBytes;
    res.movedBytes = arena.movedBytes;
    await dev.fence();
    arena.destroy();
  }
  return res;
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
  };
  const int = (name: string, dflt: number, min: number, max: number) => {
    const v = Number(arg(name, String(dflt)));
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got ${arg(name, '')}`);
    return v;
  };
  const { openDevice } = await import('../cli/open-device.js');
  const backend = arg('backend', 'webgpu');
  const dev = await openDevice(backend, (l) => console.error(l));
  const o: PollutionOptions = {
    ops: int('ops', 100_000, 1, 10_000_000),
    seed: int('seed', 1, 0, 2 ** 31),
    pages: int('pages', 64, 8, 65536),
    pageBytes: int('page-kb', backend === 'cuda' ? 2048 : 64, 4, 1 << 20) * 1024,
    sharedModels: argv.includes('--shared-models'),
    models: int('models', 4, 1, 63),
  };
  const t0 = performance.now();
  const res = await runPollution(dev, o);
  console.log(JSON.stringify({ device: dev.info.name, backend, ...o, ...res, seconds: +((performance.now() - t0) / 1000).toFixed(1) }));
  dev.destroy();
  return res.pollutions === 0 && res.corruptions === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    console.error(`pollution: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  });
}
