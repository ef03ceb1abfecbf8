// The trainer's activations in chunks (TrainerOptions.activationChunkBytes,
// round 8 of docs/results-scale.md): where free pages are scattered, the arena
// gives a training allocation a view of its own (CUDA VMM: one map per page,
// on the host, ~43 us a 2 MiB page on the H200), so one allocation of a whole
// micro-batch mapped hundreds of pages in one synchronous call each time the
// micro-batch changed. Counted here in pages mapped per call (not time), on a
// host device that remaps, with the real GPT model's activation plan.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { Launch, Lane, PageRef, Range, Backing } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { Trainer } from '../src/train/trainer.js';
import { GptModel } from '../src/train/gpt/model.js';
import { GPT_HYPER, type GptConfig } from '../src/train/gpt/layout.js';
import { fixtureDocuments, splitDocuments } from '../src/train/gpt/text.js';
import { HostRemapDevice } from './helpers/host-device.js';

const PAGE = 4096;
const CFG: GptConfig = { layers: 2, width: 64, heads: 2, context: 32, vocab: 256, recompute: false };

/** Counts the pages of each view it maps; runs only `fill` (the GPT's kernels are not what is tested). */
class MapCountingDevice extends HostRemapDevice {
  readonly mapped: number[] = [];
  protected override _mapPages(refs: readonly PageRef[], label: string): Backing {
    this.mapped.push(refs.length);
    return super._mapPages(refs, label);
  }
  protected override _launch(kernel: string, ranges: Range[], params: ArrayBuffer | undefined, threads: [number, number, number], lane: Lane): void {
    if (kernel === 'fill') super._launch(kernel, ranges, params, threads, lane);
  }
}

/**
 * An arena whose free pages are every other page of its lower part (inference
 * allocations between them) plus `topFree` pages side by side at the top, and
 * a GPT trainer (cap 8) over it; one optimizer step.
 */
async function stepOnFragmentedArena(chunkBytes: number | undefined): Promise<{ dev: MapCountingDevice; arena: Arena; trainer: Trainer<unknown, never>; activationPages: number; chunkPages: number }> {
  const model = new GptModel(CFG, GPT_HYPER);
  const activationPages = Math.ceil(model.activationBytes(8) / PAGE);
  const staticPages = 5 * Math.ceil(model.paramBytes / PAGE) + Math.ceil(model.scratchBytes / PAGE) + 1;
  const holes = activationPages; // scattered free pages, as many as one micro-batch needs
  const topFree = Math.floor(activationPages / 3); // too few side by side for one allocation
  const pages = 2 * holes + topFree + staticPages;
  const dev = new MapCountingDevice(PAGE);
  const arena = new Arena(dev, { bytes: pages * PAGE, pageBytes: PAGE });
  const infer = Array.from({ length: 2 * holes }, (_, i) => arena.allocate('infer', PAGE, `model page ${i}`));
  infer.filter((_, i) => i % 2 === 1).forEach((a) => arena.free(a));
  arena.reclaim(await arena.fenceInference());
  const trainer = Trainer.forModel(arena, new Gate(dev, { maxInFlight: 1 }), { effectiveBatch: 8, microBatch: 8, seed: 3, activationChunkBytes: chunkBytes }, model);
  trainer.init();
  const text = splitDocuments('fixture', fixtureDocuments(12, 20), CFG.context).train;
  await trainer.step(text, Uint32Array.from({ length: 8 }, (_, i) => i % text.n));
  const largestView = Math.max(...model.activationPlan(8));
  const chunkPages = chunkBytes === undefined ? activationPages : Math.ceil(Math.max(chunkBytes, largestView) / PAGE);
  return { dev, arena, trainer: trainer as unknown as Trainer<unknown, never>, activationPages, chunkPages };
}

describe('trainer activations in chunks', () => {
  it('one allocation maps every page of the micro-batch in one call where free pages are scattered (the behaviour before)', async () => {
    const { dev, trainer, activationPages } = await stepOnFragmentedArena(undefined);
    expect(trainer.stats.microBatch).toBe(8);
    expect(Math.max(...dev.mapped)).toBeGreaterThanOrEqual(activationPages);
  });

  it('chunks map at most a chunk of pages per call, and the chunks that find free pages side by side map none', async () => {
    const chunk = 64 * 1024; // smaller than the largest view: the cap rises to it
    const { dev, trainer, activationPages, chunkPages } = await stepOnFragmentedArena(chunk);
    expect(trainer.stats.microBatch).toBe(8);
    expect(chunkPages).toBeLessThan(activationPages / 4);
    expect(dev.mapped.length).toBeGreaterThan(0); // the holes are used: some chunks are scattered
    expect(Math.max(...dev.mapped)).toBeLessThanOrEqual(chunkPages);
    const total = dev.mapped.reduce((s, n) => s + n, 0);
    expect(total).toBeLessThan(activationPages); // part of the micro-batch sits in the run at the top, unmapped
  });

  it('chunks take the highest free pages, as one allocation would: small holes above a large run are used, not left between chunks', async () => {
    // Free pages: a run of a whole micro-batch at the bottom, then holes smaller than a chunk between model pages.
    const model = new GptModel(CFG, GPT_HYPER);
    const activationPages = Math.ceil(model.activationBytes(8) / PAGE);
    const chunk = 64 * 1024;
    const chunkPages = Math.ceil(Math.max(chunk, ...model.activationPlan(8)) / PAGE);
    const hole = Math.max(1, Math.floor(chunkPages / 2));
    const groups = Math.ceil(activationPages / hole);
    const staticPages = 5 * Math.ceil(model.paramBytes / PAGE) + Math.ceil(model.scratchBytes / PAGE) + 1;
    const bottom = activationPages + 2 * groups; // room for one allocation's padding too
    const dev = new MapCountingDevice(PAGE);
    const arena = new Arena(dev, { bytes: (bottom + groups * (hole + 1) + staticPages) * PAGE, pageBytes: PAGE });
    const filler = arena.allocate('infer', bottom * PAGE, 'bottom (freed below)');
    const layers = Array.from({ length: groups }, (_, i) => [arena.allocate('infer', hole * PAGE, `hole ${i}`), arena.allocate('infer', PAGE, `model ${i}`)] as const);
    arena.free(filler);
    for (const [h] of layers) arena.free(h);
    arena.reclaim(await arena.fenceInference());
    const trainer = Trainer.forModel(arena, new Gate(dev, { maxInFlight: 1 }), { effectiveBatch: 8, microBatch: 8, seed: 3, activationChunkBytes: chunk }, model);
    trainer.init();
    const text = splitDocuments('fixture', fixtureDocuments(12, 20), CFG.context).train;
    await trainer.step(text, Uint32Array.from({ length: 8 }, (_, i) => i % text.n));
    expect(trainer.stats.microBatch).toBe(8);
    const owners = Array.from({ length: arena.pageCount }, (_, p) => arena.pageOwner(p));
    const lowestTrain = owners.indexOf('train');
    const freeAbove = owners.flatMap((o, p) => (o === 'free' && p > lowestTrain ? [p] : []));
    expect(freeAbove).toEqual([]); // every free page lies below training's lowest: a model's pool finds them side by side
    expect(Math.max(...dev.mapped)).toBeLessThanOrEqual(chunkPages);
  });

  it('a chunk size that is not a positive number of bytes is a UsageError at the first micro-batch', async () => {
    await expect(stepOnFragmentedArena(-1)).rejects.toThrow(/activation chunk must be a positive number of bytes/);
  });
});
