// WebGPU pipelining (src/devices/webgpu/device.ts, uploads.ts), on by default on
// hardware adapters and forced here on whatever adapter there is: a request's
// launches are submitted in chunks while the host encodes the rest, and large
// writes go through reused mapped upload buffers as copies in the encoder.
// Checked: results against float64 and onnxruntime-node with the workspace
// NaN-poisoned, the order of writes and launches, that chunks are submitted,
// and that warm runs reuse the upload buffers.
import { describe, expect, it } from 'vitest';
import { matmul } from '../src/kernels/matmul.js';
import { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { UPLOAD_MIN } from '../src/devices/webgpu/uploads.js';
import { closeness, randn, rng } from './helpers/gpu.js';
import { useForcedEnv } from './helpers/webgpu-env.js';
import { caseModel, checkCase, type OpCase } from './helpers/onnx-cases.js';
import { matmulRef } from './helpers/reference.js';

const r = rng(Date.now() & 0xffff);
const env = useForcedEnv({ pipelining: true });

/** Counts queue.submit calls while `fn` runs. */
async function submits(fn: () => Promise<unknown>): Promise<number> {
  const q = env.dev.gpu.queue as GPUQueue & { submit: GPUQueue['submit'] };
  const real = q.submit.bind(q);
  let n = 0;
  q.submit = (cbs: Iterable<GPUCommandBuffer>) => {
    n++;
    return real(cbs);
  };
  try {
    await fn();
  } finally {
    q.submit = real;
  }
  return n;
}

describe('pipelining', () => {
  it('is on where asked, off by default on SwiftShader', async () => {
    expect(env.dev.pipelining).toBe(true);
    const plain = await WebGpuDevice.open();
    const forced = process.env.HANDOVER_WEBGPU_PIPELINING;
    expect(plain.pipelining).toBe(forced ? forced === '1' : !plain.info.software);
    plain.destroy();
  });

  it('a write staged between two launches lands between them', async () => {
    const n = UPLOAD_MIN / 4 + 3;
    const first = randn(n, r);
    const second = randn(n, r);
    const made = env.dev.uploads!.created;
    const a = env.s.upload(first); // staged: a copy in the encoder
    expect(env.dev.uploads!.created).toBeGreaterThan(made); // (none was mapped and free yet)
    const b = env.s.poisoned(n);
    const c = env.s.poisoned(n);
    env.dev.copy({ ...a.range(), bytes: n * 4 }, { ...b.range(), bytes: n * 4 });
    env.dev.write({ ...a.range(), bytes: n * 4 }, second);
    env.dev.copy({ ...a.range(), bytes: n * 4 }, { ...c.range(), bytes: n * 4 });
    expect(Buffer.from((await env.s.readF32(b, n)).buffer)).toEqual(Buffer.from(first.buffer));
    expect(Buffer.from((await env.s.readF32(c, n)).buffer)).toEqual(Buffer.from(second.buffer));
    await env.s.reset();
  });

  it('a chain of 60 dependent matmuls submitted in chunks gives the float64 result', async () => {
    const m = 9;
    const w = randn(m * m, r, 0.4);
    let want = Float64Array.from(randn(m * m, r));
    const bufs = [env.s.upload(Float32Array.from(want)), env.s.poisoned(m * m)];
    const wb = env.s.upload(w);
    const count = await submits(async () => {
      for (let i = 0; i < 60; i++) env.dev.launch(matmul({ a: bufs[i % 2]!, b: wb, c: bufs[(i + 1) % 2]!, m, n: m, k: m }));
      await env.dev.submit();
    });
    for (let i = 0; i < 60; i++) want = Float64Array.from(matmulRef(Float32Array.from(want), w, m, m, m, false, false));
    expect(count).toBeGreaterThanOrEqual(3); // the first after 4 launches, then every 24
    expect(closeness(await env.s.readF32(bufs[0]!, m * m), want, 1e-4, 1e-3)).toBeLessThan(1);
    await env.s.reset();
  });
});

const f = (...dims: number[]) => ({ dims });
const cases: OpCase[] = [
  { name: 'MatMul with a staged 84 KB input ([3,70,100] x [100,30])', op: 'MatMul', inputs: [f(3, 70, 100), f(100, 30)], atol: 2e-4, rtol: 2e-4 },
  { name: 'Conv with a staged 77 KB input (2x6x40x40, 3x3)', op: 'Conv', attrs: { pads: [1, 1, 1, 1] }, inputs: [f(2, 6, 40, 40), f(8, 6, 3, 3), f(8)], atol: 2e-4, rtol: 2e-4 },
];

describe('models through a pipelining device (vs onnxruntime-node)', () => {
  for (const c of cases) it(c.name, async () => expect(await checkCase(env.store, c, r)).toBe(''));

  it('warm runs reuse the upload buffers and give the same bits', async () => {
    const { file, feeds } = caseModel(cases[0]!, r);
    env.store.register('warm', file);
    try {
      const first = await env.store.run('warm', feeds);
      for (let i = 0; i < 3; i++) await env.store.run('warm', feeds);
      const made = env.dev.uploads!.created;
      const again = await env.store.run('warm', feeds);
      expect(env.dev.uploads!.created - made).toBeLessThanOrEqual(1); // its upload may still have been mapping
      await env.dev.uploads!.settled(); // every upload buffer is mapped again
      const settled = env.dev.uploads!.created;
      const later = await env.store.run('warm', feeds);
      expect(env.dev.uploads!.created).toBe(settled);
      const bits = (o: typeof first) => Buffer.from(Object.values(o)[0]!.data as Float32Array);
      expect(bits(again)).toEqual(bits(first));
      expect(bits(later)).toEqual(bits(first));
    } finally {
      await env.store.unload('warm');
    }
  });
});
