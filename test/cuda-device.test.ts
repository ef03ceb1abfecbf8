// The CUDA backend's own mechanics, beyond the kernel suite: stream ordering of
// zero-fills, overlapping moves, VMM pages mapped twice (remap), page reuse,
// typed errors, and a submit that leaves the event loop free.
import { afterAll, describe, expect, it } from 'vitest';
import { packParams, type Backing, type Range } from '../src/core/device.js';
import { InvalidRangeError } from '../src/core/errors.js';
import { matmul } from '../src/kernels/matmul.js';
import { fill } from '../src/kernels/elementwise.js';
import type { CudaDevice } from '../src/devices/cuda/device.js';
import { CudaError } from '../src/devices/cuda/errors.js';
import { Gate } from '../src/core/gate.js';
import { Arena } from '../src/core/arena.js';
import { probeCuda } from '../src/devices/cuda/probe.js';

const probe = await probeCuda();
if (!probe.device) console.warn(`cuda-device: skipped: ${probe.reason}`);

const whole = (b: Backing, offset = 0, bytes = b.bytes - offset): Range => ({ backing: b, offset, bytes });
const words = (n: number, f: (i: number) => number) => Uint32Array.from({ length: n }, (_, i) => f(i));
async function readU32(d: CudaDevice, r: Range): Promise<Uint32Array> {
  const b = await d.read(r);
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

describe.skipIf(!probe.device)(`CUDA device${probe.device ? '' : ` (skipped: ${probe.reason})`}`, () => {
  const d = probe.device!;
  const made: Backing[] = [];
  const backing = (bytes: number): Backing => {
    const b = d.createBacking(bytes);
    made.push(b);
    return b;
  };
  afterAll(() => {
    for (const b of made.splice(0)) d.destroyBacking(b);
  });

  it('declares remap and VMM page size', () => {
    expect(d.info.backend).toBe('cuda');
    expect(d.info.capabilities.remap).toBe(true);
    expect(d.pageBytes % (64 << 10)).toBe(0);
  });

  it('orders write, zero (own stream) and a later kernel', async () => {
    const n = 1 << 20;
    const b = backing(n * 4);
    d.write(whole(b), Float32Array.from({ length: n }, (_, i) => i + 1));
    d.zero(whole(b, 4096, 8192));
    // y (words 1024..2047, just zeroed) += 2 * x (words 0..1023)
    d.launch({ kernel: 'axpy', bindings: [whole(b, 0, 4096), whole(b, 4096, 4096)], params: packParams([1024, { f32: 2 }]), threads: [1024] });
    const bytes = await d.read(whole(b, 0, 16384));
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, 4096);
    expect(f[0]).toBe(1);
    expect(f[1024]).toBe(2);
    expect(f[2047]).toBe(2048);
    expect(f[2048]).toBe(0);
    expect(f[3071]).toBe(0);
    expect(f[3072]).toBe(3073);
  });

  it('moves overlapping ranges inside one backing in both directions', async () => {
    const n = 4096;
    const b = backing(n * 4 * 2);
    const data = words(n, (i) => i * 7 + 3);
    d.write(whole(b, 0, n * 4), data);
    d.copy(whole(b, 0, n * 4), whole(b, 1024, n * 4)); // up by 256 words, overlapping
    expect([...(await readU32(d, whole(b, 1024, n * 4)))]).toEqual([...data]);
    d.copy(whole(b, 1024, n * 4), whole(b, 256, n * 4)); // down by 192 words
    expect([...(await readU32(d, whole(b, 256, n * 4)))]).toEqual([...data]);
  });

  it('the arena gives training scattered VMM pages through a view; inference pages come back zero', async () => {
    const P = d.pageBytes;
    const W = P / 4;
    const arena = new Arena(d, { bytes: 10 * P, pageBytes: P });
    const gate = new Gate(d);
    try {
      expect(arena.remap).toBe(true);
      const infer = [arena.allocate('infer', P), arena.allocate('infer', P)]; // pages 0, 1
      const train = Array.from({ length: 8 }, () => arena.allocate('train', P)); // pages 9..2
      infer.forEach((a, i) => d.launch(fill(a, W, 0x1f00 + i)));
      train.forEach((a, i) => d.launch(fill(a, W, 0x7a00 + i)));
      for (const i of [1, 3, 5]) arena.free(train[i]!); // pages 8, 6, 4
      arena.reclaim(await gate.drain());
      arena.free(infer[1]!); // page 1
      arena.reclaim(await arena.fence());
      const big = arena.allocate('train', 4 * P, 'big');
      expect(Array.from(big.pages!)).toEqual([1, 4, 6, 8]);
      const got = await readU32(d, big.range());
      expect(got[0]).toBe(0); // inference's page, zero-filled for training
      expect(got[W - 1]).toBe(0);
      expect(got[W]).toBe(0x7a00 + 5); // page 4 was train[5]: same owner, kept
      d.launch(fill(big, 4 * W, 0xbeef));
      for (const p of [1, 4, 6, 8]) expect((await readU32(d, { backing: arena.backings[0]!, offset: p * P, bytes: 4 }))[0]).toBe(0xbeef);
      expect((await readU32(d, { backing: arena.backings[0]!, offset: 5 * P, bytes: 4 }))[0]).toBe(0x7a00 + 4);
      arena.free(big);
      arena.reclaim(await gate.drain());
      const back = arena.allocate('infer', P); // page 1 again, after training's use: zero
      expect(back.firstPage).toBe(1);
      expect((await readU32(d, back.range())).every((w) => w === 0)).toBe(true);
    } finally {
      await d.fence();
      arena.destroy();
    }
  });

  it('maps scattered pages of a backing into one contiguous view of the same memory', async () => {
    const P = d.pageBytes;
    const src = backing(4 * P);
    for (let p = 0; p < 4; p++) d.launch(fill(whole(src, p * P, P), P / 4, 100 + p));
    const view = d.mapPages([{ backing: src, offset: 3 * P }, { backing: src, offset: 1 * P }], 'scattered');
    const v = await readU32(d, whole(view));
    expect(v[0]).toBe(103);
    expect(v[P / 4 - 1]).toBe(103);
    expect(v[P / 4]).toBe(101);
    d.launch(fill(whole(view, P, 256), 64, 7));
    expect((await readU32(d, whole(src, P, 256)))[63]).toBe(7);
    d.destroyBacking(view);
    expect((await readU32(d, whole(src, 3 * P, 4)))[0]).toBe(103);
  });

  it('keeps pages mapped in a view out of the pool until the view goes, even when their backing goes first', async () => {
    const P = d.pageBytes;
    const src = d.createBacking(2 * P);
    d.launch(fill(whole(src, P, P), P / 4, 42));
    const view = d.mapPages([{ backing: src, offset: P }]);
    d.destroyBacking(src);
    await d.fence();
    const other = d.createBacking(2 * P); // may take the source's first page, never the viewed one
    d.launch(fill(whole(other), (2 * P) / 4, 9));
    const v = await readU32(d, whole(view));
    expect(v[0]).toBe(42);
    expect(v[P / 4 - 1]).toBe(42);
    d.destroyBacking(other);
    const free = d.pool.freePages;
    d.destroyBacking(view);
    await d.fence();
    expect(d.pool.freePages).toBe(free + 3);
  });

  it('reuses physical pages of destroyed backings instead of creating new ones', async () => {
    const b = d.createBacking(8 * d.pageBytes);
    d.destroyBacking(b);
    await d.fence();
    const created = d.pool.created;
    const again = d.createBacking(8 * d.pageBytes);
    expect(d.pool.created).toBe(created);
    d.destroyBacking(again);
    await d.fence();
  });

  it('turns a failed driver call into a CudaError with call, file, line and message', () => {
    let caught: unknown;
    try {
      d.cu.pageCreate(2 ** 45, d.ordinal); // 32 TiB of physical memory
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CudaError);
    const e = caught as CudaError;
    expect(e.api).toBe('driver');
    expect(e.call).toContain('cuMemCreate');
    expect(e.file).toBe('native-cuda/memory.cpp');
    expect(e.line).toBeGreaterThan(0);
    expect(e.code).toMatch(/^CUDA_ERROR_(OUT_OF_MEMORY|INVALID_VALUE)$/);
    expect(() => d.launch({ kernel: 'no_such_kernel', bindings: [], threads: [1] })).toThrow(InvalidRangeError);
  });

  it('submit resolves without blocking the event loop', async () => {
    const n = 2048;
    const b = backing(3 * n * n * 4);
    const [A, B, C] = [0, 1, 2].map((i) => whole(b, i * n * n * 4, n * n * 4)) as [Range, Range, Range];
    for (let i = 0; i < 20; i++) d.launch(matmul({ a: A, b: B, c: C, m: n, n, k: n }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await d.submit();
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('runs a gate on the training stream: bounded in flight, close drops the queue and drains the rest', async () => {
    const n = 1024;
    const b = backing(3 * n * n * 4);
    const [A, B, C] = [0, 1, 2].map((i) => whole(b, i * n * n * 4, n * n * 4)) as [Range, Range, Range];
    const gate = new Gate(d, { maxInFlight: 2 });
    for (let i = 0; i < 40; i++) gate.enqueue([matmul({ a: A, b: B, c: C, m: n, n, k: n }), matmul({ a: C, b: B, c: A, m: n, n, k: n })]);
    expect(gate.running).toBe(2);
    const closed = await gate.close();
    expect(closed.dropped).toBeGreaterThan(0);
    expect(gate.running).toBe(0);
    const t0 = performance.now();
    await d.fence();
    expect(performance.now() - t0).toBeLessThan(5); // nothing of the gate's was left on the GPU
  });
});
