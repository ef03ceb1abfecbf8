// Arena micro-benchmarks: zero-fill bandwidth beside a device-to-device copy
// of the same size (same run), and gate close latency while training kernels
// are queued.
import type { GpuDevice } from '../core/device.js';
import { Gate } from '../core/gate.js';
import { Arena } from '../core/arena.js';
import { fill } from '../kernels/elementwise.js';
import { matmul } from '../kernels/matmul.js';
import { percentile } from '../train/run.js';

export interface ArenaBenchResult {
  bytes: number;
  zeroGBps: number;
  copyGBps: number;
  zeroVsCopy: number;
  closes: number;
  closeP50Ms: number;
  closeP99Ms: number;
  closeMaxMs: number;
}

async function timeIt(dev: GpuDevice, reps: number, issue: () => void): Promise<number> {
  issue();
  await dev.fence(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) issue();
  await dev.fence();
  return (performance.now() - t0) / reps;
}

export async function arenaBench(dev: GpuDevice, o: { bytes: number; reps: number; closes: number; n: number }): Promise<ArenaBenchResult> {
  const arena = new Arena(dev, { bytes: o.bytes + 8 * 2 ** 20, pageBytes: 2 ** 20 });
  // The copy's destination lives in another backing, so the reference is the
  // copy engine (copyBufferToBuffer / cudaMemcpyAsync), not a copy kernel.
  const other = new Arena(dev, { bytes: o.bytes, pageBytes: 2 ** 20 });
  try {
    const a = arena.allocate('train', o.bytes, 'a');
    const b = other.allocate('train', o.bytes, 'b');
    const zeroMs = await timeIt(dev, o.reps, () => dev.zero(a.range()));
    const copyMs = await timeIt(dev, o.reps, () => dev.copy(a.range(), b.range()));
    arena.free(a);
    other.destroy();
    const gate = new Gate(dev, { maxInFlight: 4 });
    arena.reclaim(await gate.drain());
    const n = o.n;
    const x = arena.allocate('train', n * n * 4, 'x');
    const y = arena.allocate('train', n * n * 4, 'y');
    const z = arena.allocate('train', n * n * 4, 'z');
    dev.launch(fill(x, n * n, 0x3c23d70a));
    dev.launch(fill(y, n * n, 0x3c23d70a));
    const closes: number[] = [];
    for (let i = 0; i < o.closes; i++) {
      gate.beginCompute();
      for (let k = 0; k < 64; k++) gate.enqueue(matmul({ a: x, b: y, c: z, m: n, n, k: n }));
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      const r = await gate.close();
      closes.push(r.ms);
      gate.open();
    }
    return {
      bytes: o.bytes,
      zeroGBps: o.bytes / zeroMs / 1e6,
      copyGBps: o.bytes / copyMs / 1e6,
      zeroVsCopy: copyMs / zeroMs,
      closes: closes.length,
      closeP50Ms: percentile(closes, 0.5),
      closeP99Ms: percentile(closes, 0.99),
      closeMaxMs: Math.max(...closes),
    };
  } finally {
    arena.destroy();
  }
}
