// The arena on a device that can remap (the CUDA VMM path, here on a host
// device whose views share page objects as cuMemMap shares physical pages):
// a training tensor that finds no run of free pages takes scattered ones
// through a view; the view aliases the arena's pages; pages that change owner
// are zero through it; nothing leaks; the view goes when the pages go back.
// The same on the GPU: test/cuda-device.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { Allocation } from '../src/core/allocation.js';
import { Gate } from '../src/core/gate.js';
import { DeviceError, InvalidRangeError, OutOfMemoryError, type Owner } from '../src/core/errors.js';
import { fill } from '../src/kernels/elementwise.js';
import { SimDevice } from '../src/devices/sim/device.js';
import { HostRemapDevice } from './helpers/host-device.js';

const PAGE = 4096;
const WORDS = PAGE / 4;

async function words(dev: HostRemapDevice, a: Allocation): Promise<Uint32Array> {
  const b = await dev.read(a.range());
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** Word 0 of arena page `p`, read through the arena's own backing. */
async function pageWord(dev: HostRemapDevice, arena: Arena, p: number): Promise<number> {
  const b = await dev.read({ backing: arena.backings[0]!, offset: p * PAGE, bytes: 4 });
  return new Uint32Array(b.buffer, b.byteOffset, 1)[0]!;
}

describe('arena with page remapping', () => {
  it('gives training scattered pages through a view when no run fits, and zeroes the pages inference used', async () => {
    const dev = new HostRemapDevice(PAGE);
    const arena = new Arena(dev, { bytes: 12 * PAGE, pageBytes: PAGE });
    expect(arena.remap).toBe(true);
    const gate = new Gate(dev);
    const infer = Array.from({ length: 4 }, (_, i) => arena.allocate('infer', PAGE, `i${i}`)); // pages 0..3
    const train = Array.from({ length: 8 }, (_, i) => arena.allocate('train', PAGE, `t${i}`)); // pages 11..4
    infer.forEach((a, i) => dev.launch(fill(a, WORDS, 0x1f000 + i)));
    train.forEach((a, i) => dev.launch(fill(a, WORDS, 0x7a000 + i)));
    for (const i of [0, 2, 4, 6]) arena.free(train[i]!); // pages 11, 9, 7, 5
    arena.reclaim(await gate.drain());
    arena.free(infer[1]!); // page 1
    arena.reclaim(await arena.fence());
    expect(arena.largestFreeRun()).toBe(1);
    expect(arena.largestTrainingPlacement()).toBe(5); // every free page, through a view

    // Without remapping the same request fails: the free pages sit between training runs.
    const plain = new Arena(dev, { bytes: 12 * PAGE, pageBytes: PAGE, remap: false });
    plain.allocate('infer', 4 * PAGE);
    const pt = Array.from({ length: 8 }, () => plain.allocate('train', PAGE));
    for (const i of [0, 2, 4, 6]) plain.free(pt[i]!);
    plain.reclaim(await gate.drain());
    expect(plain.largestTrainingPlacement()).toBe(1); // without remap: the longest run
    expect(() => plain.allocate('train', 3 * PAGE)).toThrow(/scattered between training runs/);
    plain.destroy();

    const big = arena.allocate('train', 5 * PAGE - 8, 'big');
    expect(Array.from(big.pages!)).toEqual([1, 5, 7, 9, 11]);
    expect(arena.scatteredAllocations).toBe(1);
    expect(big.range().bytes).toBe(5 * PAGE - 8);
    for (const p of [1, 5, 7, 9, 11]) expect(arena.pageOwner(p)).toBe('train');
    // Through the view: page 1 (inference's last) reads zero; training's own old pages keep their data.
    const before = await words(dev, big);
    expect(before.subarray(0, WORDS).every((w) => w === 0)).toBe(true);
    expect(before[WORDS]).toBe(0x7a000 + 6); // page 5 was t6
    expect(before[4 * WORDS]).toBe(0x7a000 + 0); // page 11 was t0
    // A write through the view lands in the arena's pages, in view order.
    dev.launch(fill(big, big.bytes / 4, 0xbeef));
    for (const p of [1, 5, 7, 9, 11]) expect(await pageWord(dev, arena, p)).toBe(0xbeef);
    expect(await pageWord(dev, arena, 6)).toBe(0x7a000 + 5); // untouched neighbour

    arena.free(big);
    expect(dev.viewsDestroyed).toBe(0); // pending: the owner's work may still use the view
    arena.reclaim(await gate.drain());
    expect(dev.viewsDestroyed).toBe(1);
    for (const p of [1, 5, 7, 9, 11]) expect(arena.pageOwner(p)).toBe('free');
    // Inference taking page 1 back after training used it reads zeros.
    const again = arena.allocate('infer', PAGE);
    expect(again.firstPage).toBe(1);
    expect((await words(dev, again)).every((w) => w === 0)).toBe(true);
    arena.destroy();
  });

  it('zero-fills a remapped run of pages that crosses from one backing into the next', async () => {
    // Four pages per backing: inference's pages 2..5 straddle the boundary between backings 0 and 1.
    const dev = new HostRemapDevice(PAGE, true, 4 * PAGE);
    const arena = new Arena(dev, { bytes: 8 * PAGE, pageBytes: PAGE });
    expect(arena.pagesPerBacking).toBe(4);
    const infer = Array.from({ length: 8 }, (_, i) => arena.allocate('infer', PAGE, `i${i}`));
    infer.forEach((a, i) => dev.launch(fill(a, WORDS, 0x1f000 + i)));
    for (const i of [2, 3, 4, 5]) arena.free(infer[i]!);
    arena.reclaim(await arena.fence());
    const t = arena.allocate('train', 4 * PAGE, 'across');
    expect(Array.from(t.pages!)).toEqual([2, 3, 4, 5]);
    expect((await words(dev, t)).every((w) => w === 0)).toBe(true); // every page, both backings
    for (const p of [1, 6]) expect((await words(dev, infer[p]!))[0]).toBe(0x1f000 + p); // neighbours untouched
    arena.destroy();
  });

  it('random command sequences: one owner per page, no leak, zero on owner change, training never fails for scattered pages', async () => {
    const PAGES = 20;
    type Cmd = { t: 'alloc'; owner: Owner; pages: number } | { t: 'free'; pick: number } | { t: 'reclaim'; owner: Owner } | { t: 'limit'; pages: number };
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constant('alloc' as const), owner: fc.constantFrom<Owner>('train', 'infer'),
        // Mostly single pages (they fragment), sometimes a larger tensor (it needs a run, or remapping).
        pages: fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 3, max: 8 })) }), weight: 8 },
      { arbitrary: fc.record({ t: fc.constant('free' as const), pick: fc.nat() }), weight: 4 },
      { arbitrary: fc.record({ t: fc.constant('reclaim' as const), owner: fc.constantFrom<Owner>('train', 'infer') }), weight: 1 },
      { arbitrary: fc.record({ t: fc.constant('limit' as const), pages: fc.integer({ min: 8, max: PAGES }) }), weight: 1 },
    );
    let scattered = 0;
    let zeroChecked = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 30, maxLength: 90 }), async (cmds) => {
        const dev = new HostRemapDevice(PAGE);
        const arena = new Arena(dev, { bytes: PAGES * PAGE, pageBytes: PAGE });
        const gate = new Gate(dev);
        const held: Allocation[] = [];
        const last = new Array<Owner | undefined>(PAGES).fill(undefined);
        // Compaction moves inference data onto pages: they were last written by inference.
        arena.onEvent((e) => e.kind === 'move' && last.fill('infer', e.to, e.to + e.pages));
        for (const c of cmds) {
          if (c.t === 'alloc') {
            const s = arena.stats();
            const fits = s.free >= c.pages && (c.owner === 'infer' || s.train + c.pages <= arena.trainLimit);
            let a: Allocation;
            try {
              a = arena.allocate(c.owner, c.pages * PAGE);
            } catch (e) {
              expect(e).toBeInstanceOf(OutOfMemoryError);
              // With remapping, training fails only for want of pages or of its limit.
              if (c.owner === 'train') expect(fits).toBe(false);
              continue;
            }
            const pages = a.pages ? Array.from(a.pages) : Array.from({ length: a.pageCount }, (_, k) => a.firstPage + k);
            const got = await words(dev, a);
            pages.forEach((p, k) => {
              if (last[p] !== undefined && last[p] !== c.owner) {
                zeroChecked++;
                expect(got.subarray(k * WORDS, (k + 1) * WORDS).every((w) => w === 0), `page ${p} changed owner to ${c.owner}`).toBe(true);
              }
              last[p] = c.owner;
            });
            if (a.pages) scattered++;
            dev.launch(fill(a, a.bytes / 4, c.owner === 'train' ? 0x7a7a7a7a : 0x1f1f1f1f));
            held.push(a);
          } else if (c.t === 'free') {
            const live = held.filter((a) => a.state === 'live');
            if (live.length) arena.free(live[c.pick % live.length]!);
          } else if (c.t === 'reclaim') {
            arena.reclaim(c.owner === 'train' ? await gate.drain() : await arena.fence());
            for (let i = held.length - 1; i >= 0; i--) if (held[i]!.owner === c.owner && held[i]!.state === 'freed') held.splice(i, 1);
          } else arena.limitTraining(c.pages);
          if (c.t === 'free' && c.pick % 2 === 0) {
            // Half the frees are reclaimed at once (a drained step), which is what fragments the pages.
            const owner = held.find((a) => a.state === 'freed')?.owner;
            if (owner) {
              arena.reclaim(owner === 'train' ? await gate.drain() : await arena.fence());
              for (let i = held.length - 1; i >= 0; i--) if (held[i]!.owner === owner && held[i]!.state === 'freed') held.splice(i, 1);
            }
          }
          // The page table is exactly what the held allocations say.
          const want = new Array<string>(PAGES).fill('free');
          for (const a of held)
            for (const [first, count] of a.runs())
              for (let p = first; p < first + count; p++) {
                expect(want[p], `page ${p} held twice`).toBe('free');
                want[p] = a.owner;
              }
          for (let p = 0; p < PAGES; p++) expect(arena.pageOwner(p)).toBe(want[p]);
          expect(dev.viewsMade - dev.viewsDestroyed).toBe(held.filter((a) => a.pages).length);
        }
        arena.destroy();
        expect(dev.viewsMade).toBe(dev.viewsDestroyed);
        expect(dev.bytesInBackings).toBe(0);
      }),
      { numRuns: 250 },
    );
    console.log(`arena-remap: ${scattered} scattered training tensors, ${zeroChecked} pages checked zero after an owner change`);
    expect(scattered).toBeGreaterThan(20);
    expect(zeroChecked).toBeGreaterThan(20);
  });

  it('is on only where the device can map pages of a unit dividing the page size', () => {
    expect(new Arena(new HostRemapDevice(PAGE), { bytes: 8 * PAGE, pageBytes: 2 * PAGE }).remap).toBe(true);
    expect(new Arena(new HostRemapDevice(2 * PAGE), { bytes: 8 * PAGE, pageBytes: PAGE }).remap).toBe(false);
    expect(new Arena(new HostRemapDevice(PAGE, false), { bytes: 8 * PAGE, pageBytes: PAGE }).remap).toBe(false);
    expect(() => new Arena(new HostRemapDevice(2 * PAGE), { bytes: 8 * PAGE, pageBytes: PAGE, remap: true })).toThrow(InvalidRangeError);
  });

  it('GpuDevice.mapPages checks the capability and every page before the backend sees it', () => {
    const sim = new SimDevice();
    expect(() => sim.mapPages([{ backing: sim.createBacking(PAGE), offset: 0 }])).toThrow(DeviceError);
    const dev = new HostRemapDevice(PAGE);
    const b = dev.createBacking(4 * PAGE);
    expect(() => dev.mapPages([])).toThrow(/no pages/);
    expect(() => dev.mapPages([{ backing: b, offset: 100 }])).toThrow(InvalidRangeError);
    expect(() => dev.mapPages([{ backing: b, offset: 4 * PAGE }])).toThrow(/inside backing/);
    dev.destroyBacking(b);
    expect(() => dev.mapPages([{ backing: b, offset: 0 }])).toThrow(/not live/);
    expect(dev.viewsMade).toBe(0);
  });
});
