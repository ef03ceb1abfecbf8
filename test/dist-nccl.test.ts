// NCCL on the GPU machine: one rank's communicator and an in-place all-reduce
// on the training stream (one GPU suffices: nranks = 1), then the whole
// data-parallel path (launcher, agreement, Trainer, NCCL) on every GPU,
// compared with the same training on one GPU. Skips, saying why, without a
// GPU, the built addon or NCCL.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fill } from '../src/kernels/elementwise.js';
import { probeCuda } from '../src/devices/cuda/probe.js';
import type { GpuRankOptions, GpuRankResult } from '../src/parallel/gpu-rank.js';
import { launch } from '../src/parallel/launch.js';
import { NcclComm, ncclUniqueId, ncclVersion, NcclUnavailableError } from '../src/parallel/nccl.js';
import { closeness, POISON, randn, rng } from './helpers/gpu.js';

const probe = await probeCuda();
let reason = probe.reason;
if (!reason) {
  try {
    console.log(`dist-nccl: NCCL ${ncclVersion()}`);
  } catch (e) {
    if (!(e instanceof NcclUnavailableError)) throw e;
    reason = e.reason;
  }
}
if (reason) console.warn(`dist-nccl: skipped: ${reason}`);

function gpuCount(): number {
  if (process.env.HANDOVER_TEST_GPUS) return Number(process.env.HANDOVER_TEST_GPUS);
  try {
    return execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8' }).trim().split('\n').length;
  } catch {
    return 1;
  }
}

function rankOptions(ranks: number, rank: number): GpuRankOptions {
  return {
    rank, ranks, dataset: 'synthetic', steps: 12, load: 'none', mode: 'agreement', redistribute: false,
    config: { layers: [784, 256, 10], optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: 256, microBatch: 64, seed: 3 },
    arenaBytes: 64 << 20, pageBytes: 2 << 20, inferBytes: 0, inferWork: 0, timeScale: 1, reinitAt: 5,
  };
}

const train = (ranks: number) =>
  launch<GpuRankResult>({ ranks, entry: new URL('../src/parallel/gpu-rank.ts', import.meta.url), options: (r) => rankOptions(ranks, r), env: () => ({ NCCL_RUNTIME_CONNECT: '0' }) });

describe.skipIf(!!reason)(`NCCL${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('one rank: comm init and an in-place float32 all-reduce equal the input, neighbours untouched', async () => {
    const d = probe.device!;
    const n = 1 << 16;
    const b = d.createBacking((n + 128) * 4);
    try {
      const data = randn(n, rng(11));
      d.launch(fill({ backing: b, offset: 0, bytes: (n + 128) * 4 }, n + 128, POISON));
      d.write({ backing: b, offset: 256, bytes: n * 4 }, data);
      const comm = NcclComm.init(d, ncclUniqueId(), 1, 0);
      comm.allReduce({ backing: b, offset: 256, bytes: n * 4 });
      const out = await d.read({ backing: b, offset: 0, bytes: (n + 128) * 4 });
      const u = new Uint32Array(out.buffer, out.byteOffset, n + 128);
      const f = new Float32Array(out.buffer, out.byteOffset + 256, n);
      expect(Buffer.from(f.buffer, f.byteOffset, f.byteLength).equals(Buffer.from(data.buffer))).toBe(true);
      expect(u[63]).toBe(POISON);
      expect(u[64 + n]).toBe(POISON);
      expect(comm.asyncError()).toBe('ncclSuccess');
      comm.destroy();
    } finally {
      d.destroyBacking(b);
    }
  });

  it(`every GPU (${gpuCount()}): identical parameters on all ranks, close to the same training on one GPU; abort + re-init mid-run`, async () => {
    const n = gpuCount();
    const all = await train(n);
    for (const r of all) expect(r.paramsSha256).toBe(all[0]!.paramsSha256);
    expect(all.reduce((s, r) => s + r.samples, 0)).toBe(12 * 256);
    expect(all[0]!.abortMs).not.toBeNull();
    console.log(`dist-nccl: ${n} rank(s), ncclCommAbort ${all[0]!.abortMs!.toFixed(1)} ms, re-init ${all[0]!.reinitMs!.toFixed(1)} ms`);
    if (n > 1) {
      const one = await train(1);
      // Same samples, same scale; only the float32 summation order differs.
      expect(closeness(all[0]!.paramsHead, one[0]!.paramsHead, 1e-4, 1e-3)).toBeLessThanOrEqual(1);
    }
  }, 300_000);
});

describe('NCCL missing', () => {
  // Where the addon is built but the machine has no libnccl (CI, the build machine).
  let missing: NcclUnavailableError | null = null;
  try {
    ncclVersion();
  } catch (e) {
    if (e instanceof NcclUnavailableError && /libnccl\.so\.2/.test(e.reason)) missing = e;
  }
  it.skipIf(!missing)('is a typed NcclUnavailableError naming libnccl.so.2', () => {
    expect(missing!.message).toMatch(/^NCCL unavailable: NCCL not found \(libnccl\.so\.2\)/);
    expect(() => ncclUniqueId()).toThrow(NcclUnavailableError);
  });
});
