// Time-sliced training on one queue: a request that arrives waits behind at
// most one slice of a long training kernel; slices of a matmul give exactly
// the whole launch's result (float64 reference, poisoned output, odd shapes);
// sliced and unsliced training give bit-identical parameters; and a discard in
// the middle of a sliced kernel leaves the training state as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { costKey } from '../src/core/cost.js';
import type { GpuDevice, Range } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { SlicingPolicy } from '../src/core/slicing.js';
import { fill } from '../src/kernels/elementwise.js';
import { matmul } from '../src/kernels/matmul.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer, type TrainConfig } from '../src/train/trainer.js';
import { randn, rng, Scratch, testBackend, testDevice } from './helpers/gpu.js';

let dev: GpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

/** A policy on a clock that never moves: the cost model keeps what the test told it. */
function frozenPolicy(perRowMs: number, key: string, sloMs: number): SlicingPolicy {
  const policy = new SlicingPolicy({ clock: () => 0 });
  policy.model.observe([{ key, units: 1 }], perRowMs);
  policy.serve('model', sloMs);
  return policy;
}

/** Bitwise equality of two float arrays (views included). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Sliced vs whole: bitwise on WebGPU (the kernel computes each row the same way whatever the launch's
 * rows). On CUDA cuBLAS picks its algorithm by shape, so a slice of m rows may sum in another order
 * than the whole: there the two agree within fp32 rounding (1e-5 relative), which is what slicing on
 * CUDA (an opt-in, for comparison) promises.
 */
function agree(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (testBackend !== 'cuda') return same(a, b);
  const x = new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
  const y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return x.length === y.length && x.every((v, i) => Math.abs(v - y[i]!) <= 1e-5 * (1 + Math.abs(y[i]!)));
}

function matmulRef(a: Float32Array, b: Float32Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t]! * b[t * n + j]!;
    c[i * n + j] = s;
  }
  return c;
}

describe('time-sliced training', () => {
  it('a request that arrives behind a long kernel waits for at most one slice', async () => {
    const s = new Scratch(dev, 8 << 20);
    const [m, n, k] = [67, 45, 29];
    const r = rng(11);
    const A = randn(m * k, r);
    const B = randn(k * n, r);
    const a = s.upload(A);
    const b = s.upload(B);
    const results: Float32Array[] = [];
    for (const sliced of [true, false]) {
      const c = s.poisoned(m * n);
      const long = matmul({ a, b, c, m, n, k });
      // 1 ms a row, SLO 36 ms: a budget of 9 ms, two slices of 4 rows on the queue (the clock is frozen: no re-measure).
      const policy = sliced ? frozenPolicy(1, costKey(long), 36) : null;
      const gate = new Gate(dev, { maxInFlight: 1, slicing: policy });
      policy?.expect(); // inference is expected: training is sliced from the first launch
      gate.enqueue(long);
      // A request arrives now: it holds the gate, and its kernel queues behind what is in flight.
      gate.hold();
      const ahead = gate.inFlightWork;
      expect(ahead).toHaveLength(sliced ? 2 : 1);
      expect(ahead.map((w) => w.rows)).toEqual(sliced ? [4, 4] : [m]);
      expect(ahead.every((w) => w.slice === sliced)).toBe(true);
      const inference = s.poisoned(16);
      dev.launch({ ...fill(inference, 16, 7), lane: 'infer' });
      await dev.submit();
      // Inference went first: no training slice was launched while it ran.
      expect(gate.launched).toBe(sliced ? 2 : 1);
      expect(gate.queued).toBe(sliced ? 1 : 0);
      gate.resume();
      await gate.drain();
      if (sliced) expect(gate.slices).toBe(Math.ceil(m / 4));
      results.push(await s.readF32(c, m * n));
    }
    const ref = matmulRef(A, B, m, n, k);
    for (let i = 0; i < m * n; i++) expect(Math.abs(results[1]![i]! - ref[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
    expect(agree(results[0]!, results[1]!)).toBe(true);
    s.destroy();
  });

  it('slices of a transposed, accumulating matmul are bit-identical to the whole launch', async () => {
    if (testBackend === 'cuda') return console.log('skipped on CUDA: cuBLAS takes no leading dimension, so a matmul with A transposed is never sliced there');
    const s = new Scratch(dev, 8 << 20);
    const [m, n, k] = [53, 37, 19];
    const r = rng(5);
    const At = randn(k * m, r); // A stored [k, m]
    const Bt = randn(n * k, r); // B stored [n, k]
    const a = s.upload(At);
    const b = s.upload(Bt);
    const c0 = randn(m * n, r);
    const out: Float32Array[] = [];
    for (const cut of [[m], [1, 7, 13, 32]]) {
      const c = s.upload(c0);
      const whole = matmul({ a, b, c, m, n, k, transA: true, transB: true, alpha: 0.5, beta: 1 });
      let row0 = 0;
      for (const rows of cut) {
        const l = whole.slice!.at(row0, rows);
        dev.launch(l);
        row0 += rows;
      }
      out.push(await s.readF32(c, m * n));
    }
    const A = Float32Array.from({ length: m * k }, (_, i) => At[(i % k) * m + Math.floor(i / k)]!);
    const B = Float32Array.from({ length: k * n }, (_, i) => Bt[(i % n) * k + Math.floor(i / n)]!);
    const ref = matmulRef(A, B, m, n, k).map((x, i) => 0.5 * x + c0[i]!);
    for (let i = 0; i < m * n; i++) expect(Math.abs(out[0]![i]! - ref[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
    expect(same(out[0]!, out[1]!)).toBe(true);
    s.destroy();
  });

  const config: TrainConfig = { layers: [13, 37, 21, 10], optimizer: 'adam', lr: 0.01, momentum: 0, weightDecay: 0, effectiveBatch: 24, microBatch: 24, seed: 3 };

  function randomData(count: number, seed: number): Dataset {
    const r = rng(seed);
    return { name: 'random', x: randn(count * 13, r), labels: Uint32Array.from({ length: count }, () => Math.floor(r() * 10)), n: count, features: 13, classes: 10 };
  }

  /**
   * A trainer whose gate slices every matmul into eighths: on a frozen clock
   * nothing is ever measured, so each launch goes as the probe of a launch
   * never seen (an eighth of its rows), whatever the device's speed.
   */
  function trainer(sliced: boolean) {
    const arena = new Arena(dev, { bytes: 32 * 64 * 1024, pageBytes: 64 * 1024 });
    const slicing = sliced ? new SlicingPolicy({ clock: () => 0 }) : null;
    if (slicing) slicing.forced = true;
    const gate = new Gate(dev, { maxInFlight: 2, slicing });
    const t = new Trainer(arena, gate, config);
    t.init();
    return { arena, gate, t };
  }

  it('sliced and unsliced training give bit-identical parameters and optimizer state', async () => {
    const data = randomData(48, 9);
    const idx = Uint32Array.from({ length: 48 }, (_, i) => (i * 7) % 48);
    const got: Float32Array[][] = [];
    for (const sliced of [false, true]) {
      const { arena, gate, t } = trainer(sliced);
      for (let s = 0; s < 3; s++) await t.step(data, idx.subarray((s % 2) * 24, (s % 2) * 24 + 24));
      got.push([await t.readParameters(), ...(await t.readState())]);
      if (sliced) expect(gate.slices).toBeGreaterThan(20);
      arena.destroy();
    }
    expect(got[0]!.some((p) => p.some((x) => x !== 0))).toBe(true);
    got[0]!.forEach((want, i) => expect(agree(got[1]![i]!, want)).toBe(true));
  });

  it('a discard in the middle of a sliced kernel leaves the training state as it was', async () => {
    const data = randomData(24, 4);
    const idx = Uint32Array.from({ length: 24 }, (_, i) => i);
    const { arena, gate, t } = trainer(true);
    await t.step(data, idx);
    const before = [await t.readParameters(), ...(await t.readState())];
    // Parameters and both Adam moments (the gradient sum is zeroed at each step's start).
    const inner = (t as unknown as { state: { params: { range(): Range }; states: { range(): Range }[] } }).state; // train-state.ts
    const ranges = [inner.params.range(), inner.states[0]!.range(), inner.states[1]!.range()];
    const want = [before[0]!, before[2]!, before[3]!];
    // Look at the state the moment the close has drained the gate (nothing can touch it then).
    const close = gate.close.bind(gate);
    let atClose: { mid: boolean; state: Uint8Array[] } | null = null;
    gate.close = async () => {
      const mid = gate.midKernel && gate.phase === 'gc';
      const r = await close();
      atClose = { mid, state: await Promise.all(ranges.map((x) => dev.read(x))) };
      return r;
    };
    // Make the moment happen (not hope for it on a fast GPU): the first time the gate asks
    // whether to slice while a kernel is cut in the middle, a request holds the gate.
    const policy = gate.slicing!;
    const active = policy.active.bind(policy);
    let frozen = false;
    policy.active = (held: boolean) => {
      if (!frozen && gate.midKernel && gate.phase === 'gc') {
        frozen = true;
        gate.hold();
      }
      return active(held);
    };
    const step = t.step(data, idx);
    while (!frozen) await new Promise((r) => setImmediate(r));
    const report = await t.require(arena.bytes); // take everything: the micro-batch is discarded
    expect(report.discarded).toBe(true);
    expect(atClose!.mid).toBe(true);
    atClose!.state.forEach((got, i) => expect(same(got, want[i]!)).toBe(true));
    gate.resume();
    t.release(arena.bytes);
    await step;
    // The retried step ends where an undisturbed, unsliced one does.
    const ref = trainer(false);
    await ref.t.step(data, idx);
    await ref.t.step(data, idx);
    expect(agree(await t.readParameters(), await ref.t.readParameters())).toBe(true);
    ref.arena.destroy();
    arena.destroy();
  });
});
