// The GPT trained on the GPU: whole-model gradients against the float64
// reference, the update against float64 AdamW with clipping, micro-batch
// splits, recompute, the micro-batch memory allows, and a discard that
// leaves the state untouched.
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { gptActivationBytes } from '../src/train/gpt/activations.js';
import { GPT_HYPER, gptLayout, type GptConfig, type GptHyper } from '../src/train/gpt/layout.js';
import { GptModel } from '../src/train/gpt/model.js';
import { windows } from '../src/train/gpt/text.js';
import { Trainer } from '../src/train/trainer.js';
import { closeness, testDevice } from './helpers/gpu.js';
import { gptGradRef, randomTokens, TINY_GPT as tiny } from './helpers/gpt-model-ref.js';

const PAGE = 64 * 1024;
let dev: GpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

const hyper: GptHyper = { ...GPT_HYPER, lr: 1e-2, gradClip: 1 };

function setup(cfg: GptConfig, E: number, micro = E, pages = 96, h = hyper) {
  const arena = new Arena(dev, { bytes: pages * PAGE, pageBytes: PAGE });
  const gate = new Gate(dev, { maxInFlight: 3 });
  const t = Trainer.forModel(arena, gate, { effectiveBatch: E, microBatch: micro, seed: 5 }, new GptModel(cfg, h));
  t.init();
  return { arena, gate, t };
}

const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('GPT training on the GPU', () => {
  it('whole-model gradients of a 2-layer GPT match the float64 reference, every parameter', async () => {
    const data = randomTokens(3, tiny.context, 21);
    const { arena, t } = setup(tiny, 3);
    const layout = gptLayout(tiny);
    const params = await t.readParameters();
    await t.step(data, all(3));
    const { inputs, targets } = windows(data, [0, 1, 2]);
    const ref = gptGradRef(layout, params, inputs, targets, 3);
    const micro = await t.readMicroGradient();
    // Per tensor: |gpu - ref| <= 1e-6 + 1e-3 |ref| (fp32 against fp64 through two blocks).
    for (const tn of layout.tensors) {
      const got = micro.subarray(tn.at / 4, tn.at / 4 + tn.size);
      const want = ref.grad.subarray(tn.at / 4, tn.at / 4 + tn.size);
      expect(closeness(got, want, 1e-6, 1e-3), tn.name).toBeLessThan(1);
    }
    expect(Math.abs((await t.lastLoss()) - ref.loss)).toBeLessThan(1e-5);
    arena.destroy();
  });

  it('the update is AdamW (decay on 2-D weights only) after global-norm clipping, as in float64', async () => {
    const data = randomTokens(4, tiny.context, 8);
    const h: GptHyper = { ...hyper, gradClip: 0.05 }; // small enough that clipping acts
    const { arena, t } = setup(tiny, 4, 4, 96, h);
    const layout = gptLayout(tiny);
    const before = await t.readParameters();
    await t.step(data, all(4));
    const [g] = await t.readState();
    const after = await t.readParameters();
    const norm = Math.sqrt(g!.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeGreaterThan(h.gradClip);
    const coef = Math.min(1, h.gradClip / (norm + 1e-6));
    const want = new Float64Array(before.length);
    for (const tn of layout.tensors)
      for (let i = tn.at / 4; i < tn.at / 4 + tn.size; i++) {
        const gi = g![i]! * coef;
        const m = (1 - h.beta1) * gi;
        const v = (1 - h.beta2) * gi * gi;
        const w = before[i]! * (1 - h.lr * (tn.decay ? h.weightDecay : 0));
        want[i] = w - (h.lr * (m / (1 - h.beta1))) / (Math.sqrt(v / (1 - h.beta2)) + h.eps);
      }
    expect(closeness(after, want, 1e-6, 1e-5)).toBeLessThan(1);
    arena.destroy();
  });

  it('recomputing blocks in backward gives the same gradients bit for bit, in less activation memory', async () => {
    const data = randomTokens(4, tiny.context, 3);
    const grads: Float32Array[] = [];
    for (const recompute of [false, true]) {
      const { arena, t } = setup({ ...tiny, recompute }, 4);
      await t.step(data, all(4));
      grads.push(await t.readMicroGradient());
      arena.destroy();
    }
    expect(Buffer.from(grads[1]!.buffer).equals(Buffer.from(grads[0]!.buffer))).toBe(true);
  });

  it('an effective batch gives the same update for micro-batches {E}, {E/4 x4} and a random split', async () => {
    const data = randomTokens(16, tiny.context, 5);
    const results: Float32Array[] = [];
    for (const splits of [[16], [4, 4, 4, 4], [3, 7, 1, 5]]) {
      const { arena, t } = setup(tiny, 16);
      await t.step(data, all(16), splits);
      await t.step(data, all(16), splits); // the second step exercises the moments
      results.push(await t.readParameters());
      arena.destroy();
    }
    expect(closeness(results[1]!, results[0]!, 1e-6, 1e-4)).toBeLessThan(1);
    expect(closeness(results[2]!, results[0]!, 1e-6, 1e-4)).toBeLessThan(1);
  });

  it('takes the largest micro-batch the pages allow, exactly by activationBytes', async () => {
    const cfg = { ...tiny, context: 16 };
    const E = 64;
    const pages = 40;
    const { arena, t } = setup(cfg, E, E, pages);
    const free = (arena.trainLimit * PAGE) - t.staticBytes;
    let want = 0;
    while (gptActivationBytes(cfg, want + 1) <= free && want < E) want++;
    expect(want).toBeGreaterThan(0);
    expect(want).toBeLessThan(E); // memory, not the cap, decides
    await t.step(randomTokens(E, cfg.context, 2), all(E));
    expect(t.stats.microBatchMax).toBe(want);
    arena.destroy();
  });

  it('a discard during gradient computation leaves parameters and optimizer state bit-identical, and its samples run again exactly once', async () => {
    const data = randomTokens(8, tiny.context, 9);
    const { arena, gate, t } = setup(tiny, 8);
    await t.step(data, all(8)); // optimizer state now non-zero
    const params = await t.readParameters();
    const state = await t.readState();
    const seen: number[] = [];
    t.onCommit = (b) => seen.push(...b);
    const begin = gate.beginCompute.bind(gate);
    gate.beginCompute = () => {
      begin();
      gate.hold(); // inference holds the gate: the micro-batch is surely queued in gradient computation
      gate.beginCompute = begin;
    };
    const stepping = t.step(data, all(8));
    while (gate.phase !== 'gc') await new Promise((r) => setTimeout(r, 0));
    const report = await t.require(arena.bytes);
    gate.resume();
    expect(report.discarded).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen.length).toBe(0);
    expect(Buffer.from((await t.readParameters()).buffer).equals(Buffer.from(params.buffer))).toBe(true);
    const now = await t.readState();
    for (const i of [1, 2]) expect(Buffer.from(now[i]!.buffer).equals(Buffer.from(state[i]!.buffer))).toBe(true);
    t.release(arena.bytes);
    await stepping;
    expect(t.stats.discards).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual([...all(8)]);
    arena.destroy();
  });
});
