// Training sessions of any model (here the MLP): a resumed run equals an
// uninterrupted one bit for bit, a stop signal checkpoints and ends the run
// cleanly, a checkpoint is refused by another configuration, and a NaN loss
// stops training with a typed error.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import type { Dataset } from '../src/train/data.js';
import { NonFiniteLossError, runSession, type CheckpointOptions } from '../src/train/session.js';
import { Trainer, type TrainConfig } from '../src/train/trainer.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

let dev: GpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

const cfg: TrainConfig = { layers: [13, 29, 10], optimizer: 'adam', lr: 0.01, momentum: 0, weightDecay: 0, effectiveBatch: 16, microBatch: 16, seed: 3 };

function randomData(n: number, seed: number): Dataset {
  const r = rng(seed);
  return { name: 'random', x: randn(n * 13, r), labels: Uint32Array.from({ length: n }, () => Math.floor(r() * 10)), n, features: 13, classes: 10 };
}

const data = randomData(56, 4); // 4 effective batches an epoch, the last one short

async function session(steps: number, c: TrainConfig, checkpoint?: CheckpointOptions, onStep?: (step: number) => void) {
  const arena = new Arena(dev, { bytes: 32 * 4096, pageBytes: 4096 });
  const t = new Trainer(arena, new Gate(dev, { maxInFlight: 3 }), c);
  t.init();
  try {
    const result = await runSession(t, { train: data, steps, seed: 9, checkpoint, onStep: (r) => onStep?.(r.step) });
    return { result, params: await t.readParameters(), state: await t.readState() };
  } finally {
    arena.destroy();
  }
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const tmp = () => mkdtempSync(join(tmpdir(), 'handover-ckpt-'));

describe('training sessions', () => {
  it('a run resumed from its checkpoint ends bit-identical to an uninterrupted one (across an epoch boundary)', async () => {
    const whole = await session(7, cfg);
    const dir = tmp();
    const ck = { dir, every: 0, resume: false, config: { ...cfg } };
    const first = await session(3, cfg, ck);
    expect(first.result.steps).toBe(3);
    expect(loadCheckpoint(dir).header.position).toEqual({ epoch: 0, step: 3, samples: 48 });
    const rest = await session(7, cfg, { ...ck, resume: true });
    expect(rest.result.resumedFrom).toBe(3);
    expect(rest.result.records.map((r) => r.step)).toEqual([4, 5, 6, 7]);
    expect(same(rest.params, whole.params)).toBe(true);
    expect(same(rest.state[1]!, whole.state[1]!)).toBe(true);
    expect(same(rest.state[2]!, whole.state[2]!)).toBe(true);
  });

  it('SIGTERM ends the run after the running effective batch with a checkpoint, and the resumed run catches up exactly', async () => {
    const dir = tmp();
    const ck = { dir, every: 0, resume: false, config: { ...cfg } };
    const stopped = await session(7, cfg, ck, (step) => {
      if (step === 2) process.emit('SIGTERM', 'SIGTERM');
    });
    expect(stopped.result.ended).toBe('signal');
    expect(stopped.result.signal).toBe('SIGTERM');
    expect(stopped.result.steps).toBe(2);
    expect(loadCheckpoint(dir).header.steps).toBe(2);
    expect(readdirSync(dir)).toEqual(['checkpoint.hockpt']); // no temporary file left
    const rest = await session(7, cfg, { ...ck, resume: true });
    const whole = await session(7, cfg);
    expect(same(rest.params, whole.params)).toBe(true);
  });

  it('checkpoints every N effective batches, so a killed run loses at most N', async () => {
    const dir = tmp();
    const seen: (number | null)[] = [];
    // What a SIGKILL during effective batch s+1 would find: the checkpoint as it is when step s reports.
    await session(5, cfg, { dir, every: 2, resume: false, config: { ...cfg } }, () => {
      seen.push(readdirSync(dir).length ? loadCheckpoint(dir).header.steps : null);
    });
    expect(seen).toEqual([null, null, 2, 2, 4]);
    expect(loadCheckpoint(dir).header.steps).toBe(5); // and the end of the run writes one
  });

  it('refuses a checkpoint of another configuration, naming both', async () => {
    const dir = tmp();
    await session(1, cfg, { dir, every: 0, resume: false, config: { ...cfg } });
    const other = { ...cfg, layers: [13, 31, 10] };
    await expect(session(2, other, { dir, every: 0, resume: true, config: { ...other } })).rejects.toThrow(/another configuration.*13,29,10.*13,31,10/);
  });

  it('a NaN or infinite loss stops training with a NonFiniteLossError naming the step', async () => {
    const err = await session(7, { ...cfg, optimizer: 'sgd', lr: 1e30, momentum: 0.9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).step).toBeGreaterThan(0);
    expect(Number.isFinite((err as NonFiniteLossError).loss)).toBe(false);
  });
});
