// arena.allocate's `at`: an allocation back at a page it held before (an
// inference workspace where its recorded CUDA graph points), only where that
// run is free and inside one backing; otherwise the usual place.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { SimDevice } from '../src/devices/sim/device.js';

const PAGE = 4096;

describe('arena allocate at a page', () => {
  it('takes the pages at `at` when they are free, the lowest fit when not, and never crosses a backing', async () => {
    const dev = new SimDevice();
    const arena = new Arena(dev, { bytes: 32 * PAGE, pageBytes: PAGE });
    const low = arena.allocate('infer', 4 * PAGE, 'low'); // pages 0..3
    const ws = arena.allocate('infer', 3 * PAGE, 'workspace'); // 4..6
    expect(ws.firstPage).toBe(4);
    arena.free(low);
    arena.free(ws);
    arena.reclaim(await arena.fenceInference());
    expect(arena.fitsAt(4, 3 * PAGE)).toBe(true);
    const again = arena.allocate('infer', 3 * PAGE, 'workspace', { at: 4 });
    expect(again.firstPage).toBe(4); // the lowest fit would be page 0
    expect(arena.fitsAt(3, 3 * PAGE)).toBe(false); // overlaps the allocation at 4
    const other = arena.allocate('infer', 3 * PAGE, 'other', { at: 3 });
    expect(other.firstPage).toBe(0); // not free at 3: the lowest fit
    expect(arena.fitsAt(30, 3 * PAGE)).toBe(false); // past the arena's end
    expect(arena.fitsAt(-1, PAGE)).toBe(false);
  });
});
