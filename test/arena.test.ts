// Arena properties: random sequences of allocate/free/reclaim/require/release
// never give a page two owners, never leak a page, and a page that changed
// owner reads back as zeros on the GPU.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { Allocation } from '../src/core/allocation.js';
import { Gate } from '../src/core/gate.js';
import { AllocationTooLargeError, InvalidRangeError, OutOfMemoryError, type Owner } from '../src/core/errors.js';
import { fill } from '../src/kernels/elementwise.js';
import type { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { testDevice } from './helpers/gpu.js';

const PAGE = 4096;
const PAGES = 24;
let dev: WebGpuDevice;

beforeAll(async () => {
  dev = await testDevice();
});

type Cmd =
  | { t: 'alloc'; owner: Owner; pages: number }
  | { t: 'free'; pick: number }
  | { t: 'reclaim'; owner: Owner }
  | { t: 'require'; pages: number }
  | { t: 'release'; pages: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('alloc' as const), owner: fc.constantFrom<Owner>('train', 'infer'), pages: fc.integer({ min: 2, max: 9 }) }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('free' as const), pick: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('reclaim' as const), owner: fc.constantFrom<Owner>('train', 'infer') }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('require' as const), pages: fc.integer({ min: 1, max: 8 }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('release' as const), pages: fc.integer({ min: 1, max: 8 }) }), weight: 1 },
);

function checkTable(arena: Arena, held: Allocation[]): void {
  // Every non-free page belongs to exactly one held allocation of its owner; no leaks.
  const expected = new Array<string>(PAGES).fill('free');
  for (const a of held) {
    for (let p = a.firstPage; p < a.firstPage + a.pageCount; p++) {
      expect(expected[p], `page ${p} claimed twice`).toBe('free');
      expected[p] = a.owner;
    }
  }
  for (let p = 0; p < PAGES; p++) expect(arena.pageOwner(p), `page ${p}`).toBe(expected[p]);
  const s = arena.stats();
  expect(s.train + s.infer + s.free).toBe(PAGES);
}

describe('arena', () => {
  it('random command sequences keep one owner per page, leak nothing, and zero pages that change owner', async () => {
    let pagesChecked = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 40 }), async (cmds) => {
        const arena = new Arena(dev, { bytes: PAGES * PAGE, pageBytes: PAGE });
        const gate = new Gate(dev);
        const held: Allocation[] = []; // live and pending (freed, not reclaimed)
        const lastOwner = new Array<Owner | undefined>(PAGES).fill(undefined);
        // Compaction moves inference data onto pages: they were last written by inference.
        arena.onEvent((e) => e.kind === 'move' && lastOwner.fill('infer', e.to, e.to + e.pages));
        try {
          for (const c of cmds) {
            if (c.t === 'alloc') {
              let a: Allocation;
              try {
                a = arena.allocate(c.owner, c.pages * PAGE - 4);
              } catch (e) {
                expect(e).toBeInstanceOf(OutOfMemoryError);
                const oom = e as OutOfMemoryError;
                expect(oom.owner).toBe(c.owner);
                continue;
              }
              const changed = [];
              for (let p = a.firstPage; p < a.firstPage + a.pageCount; p++) {
                if (lastOwner[p] !== undefined && lastOwner[p] !== c.owner) changed.push(p);
                lastOwner[p] = c.owner;
              }
              pagesChecked += changed.length;
              if (changed.length > 0) {
                const bytes = await dev.read(a.range());
                const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
                for (const p of changed) {
                  const off = ((p - a.firstPage) * PAGE) / 4;
                  const page = words.subarray(off, Math.min(off + PAGE / 4, words.length));
                  expect(page.every((w) => w === 0), `page ${p} changed owner to ${c.owner} but is not zero`).toBe(true);
                }
              }
              // The new owner writes its own data (a pattern per owner).
              dev.launch(fill(a, a.bytes / 4, c.owner === 'train' ? 0x7a7a7a7a : 0x1f1f1f1f));
              held.push(a);
            } else if (c.t === 'free') {
              const live = held.filter((a) => a.state === 'live');
              if (live.length === 0) continue;
              arena.free(live[c.pick % live.length]!);
            } else if (c.t === 'reclaim') {
              const proof = c.owner === 'train' ? await gate.drain() : await arena.fence();
              arena.reclaim(proof);
              for (let i = held.length - 1; i >= 0; i--)
                if (held[i]!.owner === c.owner && held[i]!.state === 'freed') held.splice(i, 1);
            } else if (c.t === 'require') {
              arena.require(c.pages * PAGE);
            } else {
              arena.release(c.pages * PAGE);
            }
            checkTable(arena, held);
            expect(arena.stats().train).toBeLessThanOrEqual(Math.max(arena.trainLimit, arena.stats().train));
          }
        } finally {
          arena.destroy();
        }
      }),
      { numRuns: 40 },
    );
    // The zero-fill check must have run for real, many times.
    expect(pagesChecked).toBeGreaterThan(15);
  });

  it('training cannot allocate past the limit that require set', () => {
    const arena = new Arena(dev, { bytes: 8 * PAGE, pageBytes: PAGE });
    arena.require(6 * PAGE);
    expect(arena.trainLimit).toBe(2);
    arena.allocate('train', 2 * PAGE);
    expect(() => arena.allocate('train', 1)).toThrow(OutOfMemoryError);
    // Inference may still take any free page.
    expect(arena.allocate('infer', 6 * PAGE).pageCount).toBe(6);
    arena.destroy();
  });

  it('compacts inference runs so free pages scattered between them serve a large request', async () => {
    const arena = new Arena(dev, { bytes: 8 * PAGE, pageBytes: PAGE });
    const runs = Array.from({ length: 8 }, (_, i) => arena.allocate('infer', PAGE, `r${i}`));
    runs.forEach((r, i) => dev.launch(fill(r, PAGE / 4, 1000 + i)));
    for (const i of [0, 2, 4, 6]) arena.free(runs[i]!);
    arena.reclaim(await arena.fence());
    const big = arena.allocate('infer', 4 * PAGE, 'big'); // needs the 4 free pages side by side
    expect(big.pageCount).toBe(4);
    // The moved runs kept their data.
    for (const i of [1, 3, 5, 7]) {
      const words = new Uint32Array((await dev.read(runs[i]!.range())).buffer);
      expect(words.every((w) => w === 1000 + i), `run ${i} after compaction`).toBe(true);
    }
    expect(arena.stats().movedBytes).toBeGreaterThan(0);
    arena.destroy();
  });

  it('rejects misuse with typed errors', async () => {
    const arena = new Arena(dev, { bytes: 4 * PAGE, pageBytes: PAGE });
    expect(() => arena.allocate('infer', 0)).toThrow(InvalidRangeError);
    expect(() => arena.allocate('infer', 5 * PAGE)).toThrow(OutOfMemoryError);
    // Beyond one backing / one binding on this device (2 GiB on Dawn, 16 GiB on CUDA).
    const cap = Math.min(dev.info.limits.maxBindingBytes, dev.info.limits.maxBackingBytes);
    expect(() => arena.allocate('infer', Math.floor(cap / PAGE + 1) * PAGE)).toThrow(AllocationTooLargeError);
    const a = arena.allocate('train', PAGE);
    arena.free(a);
    expect(() => arena.free(a)).toThrow(InvalidRangeError);
    expect(() => a.range()).toThrow(/was freed/);
    arena.destroy();
  });
});

afterAll(() => {});
