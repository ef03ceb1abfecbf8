// SM partitions (CUDA green contexts): the SM count the driver grants, GEMMs on
// a green stream checked against a float64 reference with poisoned outputs,
// moving the device's training work onto a partition and back, typed errors.
// The GPU part skips, with the reason, where there is no CUDA GPU or addon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation } from '../src/core/allocation.js';
import { matmul } from '../src/kernels/matmul.js';
import { axpy } from '../src/kernels/elementwise.js';
import type { CudaAddon, Handle } from '../src/devices/cuda/addon.js';
import {
  GreenContextUnavailableError, SmPartition, SmRequestError, expectedGrant, greenAddon, smLayout, switchStream,
  type GreenCuda,
} from '../src/devices/cuda/green.js';
import { CudaError } from '../src/devices/cuda/errors.js';
import { probeCuda } from '../src/devices/cuda/probe.js';
import { Scratch, closeness, randn, rng } from './helpers/gpu.js';
import { matmulRef } from './helpers/reference.js';

describe('SM partition bookkeeping (no GPU)', () => {
  it('rounds a request up to the minimum and the alignment', () => {
    const layout = { smCount: 132, minPartition: 8, alignment: 8 };
    const r = rng(7);
    for (let i = 0; i < 50; i++) {
      const want = 1 + Math.floor(r() * 132);
      const got = expectedGrant(layout, want);
      expect(got % 8).toBe(0);
      expect(got).toBeGreaterThanOrEqual(Math.max(want, 8));
      expect(got - Math.max(want, 8)).toBeLessThan(8);
    }
  });

  it('says the addon has no green contexts when it was built without them', () => {
    expect(() => greenAddon({} as CudaAddon)).toThrow(GreenContextUnavailableError);
    expect(() => SmPartition.create({} as CudaAddon, { sms: 8 })).toThrow(/rebuild it/);
  });

  it('turns a driver without the green-context API into GreenContextUnavailableError', () => {
    const missing = new CudaError('driver', 'cudaGetDriverEntryPointByVersion(green context API, 12050)', 'native-cuda/green.cpp', 1,
      'cudaErrorSymbolNotFound', 'the driver has no cuGreenCtxStreamCreate');
    const cu = { greenCreate() {}, smSplit() {}, smResource() { throw missing; } } as unknown as CudaAddon;
    let caught: unknown;
    try {
      SmPartition.create(cu, { sms: 8 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GreenContextUnavailableError);
    expect((caught as GreenContextUnavailableError).reason).toMatch(/cuGreenCtxStreamCreate/);
    expect((caught as GreenContextUnavailableError).origin).toBe(missing);
  });

  it('refuses a size the driver cannot group, and makes no green context', () => {
    const made: string[] = [];
    const cu = {
      smResource: () => ({ deviceSmCount: 132, deviceMinPartition: 8, deviceAlignment: 8 }),
      smSplit: (_o: number, min: number) => ({ groups: min > 128 ? 0 : 1, group: new ArrayBuffer(8), groupSmCount: 8, rest: new ArrayBuffer(8), restSmCount: 124 }),
      greenCreate: () => (made.push('green'), 1n),
    } as unknown as CudaAddon;
    expect(() => SmPartition.create(cu, { sms: 130 })).toThrow(/largest is about 128/);
    expect(() => SmPartition.create(cu, { sms: 133 })).toThrow(SmRequestError);
    expect(made).toEqual([]);
  });

  it('undoes its own steps when the rest group cannot be made', () => {
    const calls: string[] = [];
    let next = 0n;
    const cu = {
      smResource: () => ({ deviceSmCount: 132, deviceMinPartition: 8, deviceAlignment: 8 }),
      smSplit: () => ({ groups: 1, group: new ArrayBuffer(8), groupSmCount: 72, rest: new ArrayBuffer(8), restSmCount: 60 }),
      greenCreate: () => (calls.push(`create ${++next}`), next),
      greenSmCount: (g: Handle) => {
        if (g === 2n) throw new Error('query failed');
        return 72;
      },
      greenStreamCreate: (g: Handle) => (calls.push(`stream on ${g}`), 100n + g),
      streamDestroy: (st: Handle) => calls.push(`stream ${st} destroyed`),
      greenDestroy: (g: Handle) => calls.push(`destroy ${g}`),
    } as unknown as CudaAddon;
    expect(() => SmPartition.create(cu, { sms: 66, rest: true })).toThrow(/query failed/);
    expect(calls).toEqual(['create 1', 'create 2', 'destroy 2', 'destroy 1']);
    calls.length = 0;
    const p = SmPartition.create(cu, { sms: 66 });
    p.part.stream(-1);
    p.destroy();
    expect(calls).toEqual(['create 3', 'stream on 3', 'stream 103 destroyed', 'destroy 3']);
  });

  it('switchStream records on the old stream, waits on the new one and moves cuBLAS, in that order', () => {
    const calls: string[] = [];
    const cu = {
      eventRecord: (e: Handle, s: Handle) => calls.push(`record ${e} on ${s}`),
      streamWaitEvent: (s: Handle, e: Handle) => calls.push(`${s} waits ${e}`),
      blasSetStream: (b: Handle, s: Handle) => calls.push(`blas ${b} on ${s}`),
    } as unknown as GreenCuda;
    expect(switchStream(cu, 1n, 2n, 9n, 5n)).toBe(2n);
    expect(calls).toEqual(['record 9 on 1', '2 waits 9', 'blas 5 on 2']);
    calls.length = 0;
    expect(switchStream(cu, 2n, 2n, 9n)).toBe(2n);
    expect(calls).toEqual([]);
  });
});

const probe = await probeCuda();
if (!probe.device) console.warn(`cuda-green: skipped: ${probe.reason}`);

describe.skipIf(!probe.device)(`SM partitions on the GPU${probe.device ? '' : ` (skipped: ${probe.reason})`}`, () => {
  // Set up in beforeAll: the describe body runs (for collection) even when skipped.
  const d = probe.device!;
  const r = rng(Date.now() & 0xffff);
  let cu: GreenCuda;
  let s: Scratch;
  let event: Handle;
  beforeAll(() => {
    cu = greenAddon(d.cu);
    s = new Scratch(d);
    event = d.cu.eventCreate(false);
  });
  afterAll(() => {
    s.destroy();
    d.cu.eventDestroy(event);
  });

  /** A fresh GEMM case: seeded random A, B and a poisoned C on the training stream. */
  const gemmCase = (m: number, n: number, k: number) => {
    const a = randn(m * k, r);
    const b = randn(k * n, r);
    return { a, b, A: s.upload(a), B: s.upload(b), C: s.poisoned(m * n), m, n, k };
  };
  const ptr = (x: Allocation): Handle => d.pointer(x.range());

  it('grants a partition of at least the SMs asked, rounded to the driver granularity, and the rest', () => {
    const layout = smLayout(cu, d.ordinal);
    expect(layout.smCount).toBe(d.props.smCount);
    const want = Math.floor(layout.smCount / 2);
    const p = SmPartition.create(d.cu, { sms: want, ordinal: d.ordinal, rest: true });
    try {
      console.log(`cuda-green: device ${layout.smCount} SMs (min group ${layout.minPartition}, alignment ${layout.alignment}); ` +
        `asked ${want}, granted ${p.granted}, rest ${p.rest!.smCount}`);
      expect(p.requested).toBe(want);
      expect(p.granted).toBeGreaterThanOrEqual(want);
      // The rounding step: the reported alignment, or 8 (sm_90's group size by the CUDA docs) if larger.
      expect(p.granted).toBeLessThan(Math.max(want, layout.minPartition) + Math.max(layout.alignment, 8));
      expect(p.granted + p.rest!.smCount).toBeLessThanOrEqual(layout.smCount);
      expect(p.rest!.smCount).toBeGreaterThan(0);
    } finally {
      p.destroy();
    }
    p.destroy(); // twice is harmless
    expect(() => p.part.stream()).toThrow(/destroyed/);
  });

  it('refuses impossible requests with SmRequestError', () => {
    expect(() => SmPartition.create(d.cu, { sms: 0, ordinal: d.ordinal })).toThrow(SmRequestError);
    expect(() => SmPartition.create(d.cu, { sms: d.props.smCount + 1, ordinal: d.ordinal })).toThrow(SmRequestError);
    expect(() => SmPartition.create(d.cu, { sms: d.props.smCount, ordinal: d.ordinal, rest: true })).toThrow(SmRequestError);
  });

  it("runs the device's matmul on a green stream after switchStream, and comes back", async () => {
    const p = SmPartition.create(d.cu, { sms: Math.floor(d.props.smCount / 4), ordinal: d.ordinal });
    const green = p.part.stream();
    const g = gemmCase(192, 160, 288);
    try {
      // Writes and the poison fill were issued on the training stream: the green stream waits for them.
      switchStream(cu, d.trainingStream, green, event, d.blasHandle);
      d.launch(matmul({ a: g.A, b: g.B, c: g.C, m: g.m, n: g.n, k: g.k, alpha: 0.75 }));
    } finally {
      switchStream(cu, green, d.trainingStream, event, d.blasHandle);
    }
    const got = await s.readF32(g.C, g.m * g.n);
    expect(closeness(got, matmulRef(g.a, g.b, g.m, g.n, g.k, false, false, 0.75))).toBeLessThan(1);
    await d.fence();
    p.destroy();
    await s.reset();
  });

  it('confineTraining moves the training lane onto partitions and home, and the lane keeps its order across 60 moves', async () => {
    expect(d.info.capabilities.confine).toBe(true);
    const layout = smLayout(cu, d.ordinal);
    const home = d.trainingStream;
    const granted = d.confineTraining(0.5)!;
    console.log(`cuda-green: confineTraining(0.5) granted ${(granted * layout.smCount).toFixed(0)} of ${layout.smCount} SMs`);
    expect(granted * layout.smCount).toBeGreaterThanOrEqual(Math.round(0.5 * layout.smCount));
    expect(granted).toBeLessThan(1);
    expect(d.trainingStream).not.toBe(home);
    expect(d.confineTraining(null)).toBeNull();
    expect(d.trainingStream).toBe(home);
    // A chain Y = X·M (cuBLAS), Y += 0.05 X (a CUDA kernel), X and Y swapped, with a move
    // (0.5, home, 0.25) before every launch: any launch that overtook another changes the result.
    const n = 96;
    const m = Float32Array.from(randn(n * n, r), (v, i) => (i % (n + 1) === 0 ? 1 : 0) + 0.004 * v);
    const x0 = randn(n * n, r);
    const M = s.upload(m);
    const X = [s.upload(x0), s.poisoned(n * n)];
    const shares = [0.5, null, 0.25];
    let want = Float64Array.from(x0);
    let moves = 0;
    for (let step = 0; step < 30; step++) {
      const [from, to] = [X[step % 2]!, X[(step + 1) % 2]!];
      d.confineTraining(shares[moves++ % 3]!);
      d.launch(matmul({ a: from, b: M, c: to, m: n, n, k: n }));
      d.confineTraining(shares[moves++ % 3]!);
      d.launch(axpy(from, to, n * n, 0.05));
      const next = matmulRef(want, m, n, n, n);
      want = next.map((v, i) => v + 0.05 * want[i]!);
    }
    d.confineTraining(null);
    expect(d.trainingStream).toBe(home);
    const got = await s.readF32(X[0]!, n * n);
    expect(closeness(got, want, 1e-3, 1e-3)).toBeLessThan(1);
    await s.reset();
  });

  it('runs a GEMM on a high-priority stream of the rest group with its own cuBLAS handle', async () => {
    const p = SmPartition.create(d.cu, { sms: Math.floor(d.props.smCount / 2), ordinal: d.ordinal, rest: true });
    const urgent = p.rest!.stream(cu.streamPriorities().greatest);
    const blas = d.cu.blasCreate(urgent);
    const g = gemmCase(65, 300, 129);
    try {
      switchStream(cu, d.trainingStream, urgent, event);
      d.cu.gemm(blas, ptr(g.A), ptr(g.B), ptr(g.C), g.m, g.n, g.k, false, false, 1, 0);
      switchStream(cu, urgent, d.trainingStream, event);
      const got = await s.readF32(g.C, g.m * g.n);
      expect(closeness(got, matmulRef(g.a, g.b, g.m, g.n, g.k))).toBeLessThan(1);
    } finally {
      await d.fence();
      d.cu.blasDestroy(blas);
      p.destroy();
      await s.reset();
    }
  });
});
