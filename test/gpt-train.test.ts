// The GPT trained on the GPU: whole-model gradients against the float64
// reference, the update against float64 AdamW with clipping, micro-batch
// splits, recompute, the micro-batch memory allows, and a discard that
// leaves the state untouched.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { Gate } from '../src/core/gate.js';
import { gptActivationBytes } from '../src/train/gpt/activations.js';
import { GPT_HYPER, gptLayout, type GptConfig, type GptHyper } from '../src/train/gpt/layout.js';
import { GptModel } from '../src/train/gpt/model.js';
import { tokenDataset, windows, type TokenDataset } from '../src/train/gpt/text.js';
import { loadText } from '../src/train/gpt/text-node.js';
import { runSession, type CheckpointOptions } from '../src/train/session.js';
import { Trainer } from '../src/train/trainer.js';
import { holdNextMicroBatch } from './helpers/hold-gate.js';
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
    // Every parameter but the key biases (c_attn.bias[C, 2C)): their gradient
    // is exactly 0 in exact arithmetic (a bias on every key shifts a softmax
    // row by a constant), so it is fp32 rounding noise that Adam scales to
    // +-lr whatever the split; the gradient test checks it against 0 instead.
    const C = tiny.width;
    const keep = (x: Float32Array) =>
      Float32Array.from(gptLayout(tiny).tensors.flatMap((tn) => {
        const v = [...x.subarray(tn.at / 4, tn.at / 4 + tn.size)];
        return tn.name.endsWith('attn.c_attn.bias') ? [...v.slice(0, C), ...v.slice(2 * C)] : v;
      }));
    expect(closeness(keep(results[1]!), keep(results[0]!), 1e-6, 1e-4)).toBeLessThan(1);
    expect(closeness(keep(results[2]!), keep(results[0]!), 1e-6, 1e-4)).toBeLessThan(1);
  });

  it('activations over the one-allocation cap of the device are cut into several allocations, with the same gradients bit for bit', async () => {
    const data = randomTokens(8, tiny.context, 12);
    const grads: Float32Array[] = [];
    const chunks: string[][] = [];
    for (const cap of [0, 2]) {
      // A device whose bindings may be at most `cap` pages (as CUDA's 16 GiB and Dawn's 2 GiB caps at scale).
      const small = cap ? (Object.create(dev, { info: { value: { ...dev.info, limits: { ...dev.info.limits, maxBindingBytes: cap * PAGE } } } }) as GpuDevice) : dev;
      const arena = new Arena(small, { bytes: 96 * PAGE, pageBytes: PAGE });
      const t = Trainer.forModel(arena, new Gate(small, { maxInFlight: 3 }), { effectiveBatch: 8, microBatch: 8, seed: 5 }, new GptModel(tiny, hyper));
      t.init();
      const labels: string[] = [];
      arena.onEvent((e) => e.kind === 'allocate' && e.owner === 'train' && labels.push(`${e.pages}`));
      await t.step(data, all(8));
      grads.push(await t.readMicroGradient());
      chunks.push(labels);
      arena.destroy();
    }
    expect(chunks[1]!.length).toBeGreaterThan(chunks[0]!.length + 1); // several activation allocations
    expect(chunks[1]!.every((p) => Number(p) <= 2)).toBe(true);
    expect(Buffer.from(grads[1]!.buffer).equals(Buffer.from(grads[0]!.buffer))).toBe(true);
  });

  it('activations in chunks of a chosen size (activationChunkBytes, the evaluation on CUDA) give the same gradients bit for bit', async () => {
    const data = randomTokens(8, tiny.context, 13);
    const grads: Float32Array[] = [];
    const allocations: number[] = [];
    for (const activationChunkBytes of [undefined, PAGE]) {
      const arena = new Arena(dev, { bytes: 96 * PAGE, pageBytes: PAGE });
      const t = Trainer.forModel(arena, new Gate(dev, { maxInFlight: 3 }), { effectiveBatch: 8, microBatch: 8, seed: 5, activationChunkBytes }, new GptModel(tiny, hyper));
      t.init();
      let n = 0;
      arena.onEvent((e) => e.kind === 'allocate' && e.owner === 'train' && n++);
      await t.step(data, all(8));
      grads.push(await t.readMicroGradient());
      allocations.push(n);
      arena.destroy();
    }
    expect(allocations[1]!).toBeGreaterThan(allocations[0]! + 1);
    expect(Buffer.from(grads[1]!.buffer).equals(Buffer.from(grads[0]!.buffer))).toBe(true);
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
    const inGradients = holdNextMicroBatch(gate); // inference holds the gate: the micro-batch stays queued in gradient computation
    const stepping = t.step(data, all(8));
    await inGradients();
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

describe('GPT training sessions on text', () => {
  const small: GptConfig = { layers: 2, width: 32, heads: 2, context: 32, vocab: 256, recompute: false };
  const h: GptHyper = { ...GPT_HYPER, lr: 1e-2 };

  async function session(steps: number, data: { train: TokenDataset; validation: TokenDataset }, checkpoint?: CheckpointOptions) {
    const { arena, t } = setup(small, 8, 8, 96, h);
    try {
      const before = checkpoint?.resume ? null : (await t.evaluate(data.validation)).loss;
      const r = await runSession(t, { train: data.train, validation: data.validation, steps, seed: 4, checkpoint });
      return { r, before, params: await t.readParameters(), state: await t.readState() };
    } finally {
      arena.destroy();
    }
  }

  it('loss falls on the Brown corpus in a short run (training and validation)', async () => {
    const text = loadText('brown', small.context);
    const validation = tokenDataset('brown-validation', text.validation.tokens.subarray(0, 16 * small.context + 1), small.context, 256);
    const { r, before } = await session(16, { train: text.train, validation });
    console.log(`brown: validation loss ${before!.toFixed(3)} -> ${r.validationLoss!.toFixed(3)}, training loss ${r.records[0]!.loss.toFixed(3)} -> ${r.loss.toFixed(3)}`);
    expect(before!).toBeGreaterThan(5); // ln 256 = 5.55 at GPT-2 init
    expect(r.validationLoss!).toBeLessThan(before! - 1);
    expect(r.loss).toBeLessThan(r.records[0]!.loss - 1);
  }, 300_000);

  it('a run resumed from its checkpoint ends bit-identical to an uninterrupted one', async () => {
    const text = loadText('fixture', small.context);
    const data = { train: text.train, validation: tokenDataset('v', text.validation.tokens.subarray(0, small.context + 1), small.context, 256) };
    const whole = await session(4, data);
    const dir = mkdtempSync(join(tmpdir(), 'handover-gpt-'));
    const ck = { dir, every: 0, resume: false, config: { ...small } };
    await session(2, data, ck);
    const rest = await session(4, data, { ...ck, resume: true });
    expect(rest.r.resumedFrom).toBe(2);
    expect(Buffer.from(rest.params.buffer).equals(Buffer.from(whole.params.buffer))).toBe(true);
    for (const i of [1, 2]) expect(Buffer.from(rest.state[i]!.buffer).equals(Buffer.from(whole.state[i]!.buffer))).toBe(true);
    expect(rest.r.loss).toBe(whole.r.loss);
  }, 300_000);
});
