// The gate: bounded in-flight training work, close that drops the queue and
// drains what is in flight, MU atomicity, and the no-pollution rule.
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { GateClosedError, OutOfMemoryError } from '../src/core/errors.js';
import { fill } from '../src/kernels/elementwise.js';
import { matmul } from '../src/kernels/matmul.js';
import type { Launch } from '../src/core/device.js';
import type { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { testDevice } from './helpers/gpu.js';

const PAGE = 64 * 1024;
let dev: WebGpuDevice;

beforeAll(async () => {
  dev = await testDevice();
});

/** A training workload: a chain of matmuls heavy enough to keep SwiftShader busy. */
function workload(arena: Arena, n = 96) {
  const a = arena.allocate('train', n * n * 4, 'a');
  const b = arena.allocate('train', n * n * 4, 'b');
  const c = arena.allocate('train', n * n * 4, 'c');
  dev.launch(fill(a, n * n, 0x3c23d70a)); // 0.01
  dev.launch(fill(b, n * n, 0x3c23d70a));
  const step: Launch = matmul({ a, b, c, m: n, n, k: n });
  return { a, b, c, step };
}

describe('gate', () => {
  it('keeps at most K command buffers in flight', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { step } = workload(arena);
    for (let i = 0; i < 20; i++) {
      gate.enqueue(step);
      expect(gate.running).toBeLessThanOrEqual(2);
    }
    expect(gate.queued).toBeGreaterThan(0);
    await gate.drain();
    expect(gate.launched).toBe(20);
    arena.destroy();
  });

  it('closing during gradient computation drops the queue and returns with nothing in flight', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { step } = workload(arena);
    gate.beginCompute();
    for (let i = 0; i < 50; i++) gate.enqueue(step);
    const r = await gate.close();
    expect(r.dropped).toBeGreaterThan(0);
    expect(r.waitedForUpdate).toBe(false);
    expect(gate.queued).toBe(0);
    expect(gate.running).toBe(0);
    expect(gate.launched + r.dropped).toBe(50);
    expect(() => gate.enqueue(step)).toThrow(GateClosedError);
    expect(() => gate.beginCompute()).toThrow(GateClosedError);
    gate.open();
    gate.enqueue(step);
    await gate.drain();
    arena.destroy();
  });

  it('closing during the model update waits for the update to finish, and tears nothing', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { c, step } = workload(arena);
    gate.beginCompute();
    for (let i = 0; i < 4; i++) gate.enqueue(step);
    await gate.beginUpdate();
    expect(gate.phase).toBe('mu');
    let closed = false;
    const closing = gate.close().then((r) => {
      closed = true;
      return r;
    });
    // The update keeps going: its kernels are still accepted while the close waits.
    for (let v = 1; v <= 10; v++) gate.enqueue(fill(c, 96 * 96, v));
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    await gate.endUpdate();
    const r = await closing;
    expect(r.waitedForUpdate).toBe(true);
    expect(r.dropped).toBe(0);
    const words = new Uint32Array((await dev.read(c.range())).buffer);
    expect(words.every((w) => w === 10)).toBe(true); // every update kernel ran, in order
    expect(() => gate.enqueue(step)).toThrow(GateClosedError);
    arena.destroy();
  });

  it('a close that arrives while the update waits for gradients discards the micro-batch', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { step } = workload(arena);
    gate.beginCompute();
    for (let i = 0; i < 10; i++) gate.enqueue(step);
    const update = gate.beginUpdate();
    const r = await gate.close();
    await expect(update).rejects.toBeInstanceOf(GateClosedError);
    expect(r.waitedForUpdate).toBe(false);
    arena.destroy();
  });

  it('no pollution: pages freed by training stay training-owned until a drained reclaim', async () => {
    const pages = 8;
    const arena = new Arena(dev, { bytes: pages * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 1 });
    const { a, b, c, step } = workload(arena, 64); // 3 pages
    const victim = arena.allocate('train', PAGE, 'activations');
    // Training queues work and, as frameworks do, frees the buffer right after
    // queueing the last kernel that writes it.
    for (let i = 0; i < 6; i++) gate.enqueue(step);
    gate.enqueue(fill(victim, PAGE / 4, 0xabababab));
    arena.free(victim);
    expect(gate.queued).toBeGreaterThan(0); // the write has not even been launched
    // Inference asks for everything that is free: it must not get the victim's page.
    const free = arena.stats().free;
    expect(free).toBe(pages - 4);
    const inf = arena.allocate('infer', free * PAGE);
    const victimPage = victim.firstPage;
    expect(victimPage < inf.firstPage || victimPage >= inf.firstPage + inf.pageCount).toBe(true);
    expect(() => arena.allocate('infer', PAGE)).toThrow(OutOfMemoryError);
    expect(arena.pageOwner(victimPage)).toBe('train');
    // A reclaim with a proof from before the free does not cover it.
    const early = await arena.fence(); // an inference proof: wrong owner
    expect(arena.reclaim(early)).toBe(0);
    // After the gate drains, the page can go to inference, zero-filled after the write.
    arena.reclaim(await gate.drain());
    expect(arena.pageOwner(victimPage)).toBe('free');
    const more = arena.allocate('infer', PAGE);
    expect(more.firstPage).toBe(victimPage);
    const words = new Uint32Array((await dev.read(more.range())).buffer);
    expect(words.every((w) => w === 0)).toBe(true);
    void a;
    void b;
    void c;
    arena.destroy();
  });
});

describe('gate hold', () => {
  it('launches no training work while inference holds the gate, and resumes it after', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { step } = workload(arena);
    gate.hold();
    for (let i = 0; i < 5; i++) gate.enqueue(step);
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.launched).toBe(0);
    expect(gate.queued).toBe(5);
    gate.resume();
    await gate.drain();
    expect(gate.launched).toBe(5);
    expect(() => gate.resume()).toThrow();
    arena.destroy();
  });
  it('a close while inference holds the gate discards the waiting micro-batch at once, even if the gate reopens first', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { step } = workload(arena);
    gate.hold();
    gate.beginCompute();
    for (let i = 0; i < 3; i++) gate.enqueue(step);
    let outcome = 'pending';
    const update = gate.beginUpdate().then(() => (outcome = 'entered MU'), (e) => (outcome = e instanceof GateClosedError ? 'discarded' : String(e)));
    const closed = await gate.close();
    expect(closed.dropped).toBe(3);
    expect(gate.launched).toBe(0);
    gate.open();
    gate.resume();
    gate.enqueue(step); // a later micro-batch's work wakes nothing stale
    await update;
    expect(outcome).toBe('discarded');
    await gate.drain();
    arena.destroy();
  });
  it('a close during the model update finishes the update even while inference holds the gate (no deadlock)', async () => {
    const arena = new Arena(dev, { bytes: 16 * PAGE, pageBytes: PAGE });
    const gate = new Gate(dev, { maxInFlight: 2 });
    const { c } = workload(arena);
    gate.beginCompute();
    await gate.beginUpdate();
    gate.hold(); // a request runs and holds training back
    for (let v = 1; v <= 5; v++) gate.enqueue(fill(c, 96 * 96, v));
    // The trainer ends its update; a require closes the gate meanwhile.
    const update = gate.endUpdate();
    const r = await Promise.race([gate.close(), new Promise<null>((res) => setTimeout(() => res(null), 5000))]);
    expect(r).not.toBeNull();
    expect(r!.waitedForUpdate).toBe(true);
    await update;
    const words = new Uint32Array((await dev.read(c.range())).buffer);
    expect(words.every((w) => w === 5)).toBe(true);
    gate.open();
    gate.resume();
    arena.destroy();
  });
  it('after a close and open, an update with no gradient computation before it enters MU', async () => {
    const gate = new Gate(dev, { maxInFlight: 2 });
    await gate.close();
    gate.open();
    await gate.beginUpdate(); // the optimizer step of the trainer: no beginCompute first
    expect(gate.phase).toBe('mu');
    await gate.endUpdate();
  });
});
