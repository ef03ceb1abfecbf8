// `handover train --storm` as a face of the colocation system: the storm's
// inference requests go through the system's request path, so every REQUIRE
// from training and every RELEASE back is the scheduler's decision, in the
// DecisionLog. Paced by training steps, so the storm happens however fast
// the device is. The MLP and a GPT train through the same TrainingSpec.
import { beforeAll, describe, expect, it } from 'vitest';
import type { GpuDevice } from '../src/core/device.js';
import type { Decision } from '../src/system/decisions.js';
import { mlpTraining, modelTraining, staticBytesOf } from '../src/system/training.js';
import { InferenceStorm } from '../src/system/storm.js';
import { trainOnSystem } from '../src/system/train.js';
import type { Dataset } from '../src/train/data.js';
import { GPT_HYPER } from '../src/train/gpt/layout.js';
import { GptModel } from '../src/train/gpt/model.js';
import { loadText } from '../src/train/gpt/text-node.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

let dev: GpuDevice;
beforeAll(async () => {
  dev = await testDevice();
});

const PAGE = 4096;

function randomData(n: number, seed: number): Dataset {
  const r = rng(seed);
  return { name: 'random', x: randn(n * 13, r), labels: Uint32Array.from({ length: n }, () => Math.floor(r() * 10)), n, features: 13, classes: 10 };
}

const pages = (ds: Decision[], kind: Decision['kind']) => ds.filter((d) => d.kind === kind).reduce((a, d) => a + d.pages, 0);

/** The ledger of a finished storm: every page training gave came back, every load was unloaded, each load was preceded by the memory it needed. */
function expectBalanced(ds: Decision[]): void {
  expect(pages(ds, 'require')).toBeGreaterThan(0);
  expect(pages(ds, 'release')).toBe(pages(ds, 'require'));
  const loads = ds.filter((d) => d.kind === 'load').length;
  expect(loads).toBeGreaterThan(0);
  expect(ds.filter((d) => d.kind === 'unload').length).toBe(loads);
  const first = ds.findIndex((d) => d.kind === 'load');
  expect(ds.slice(0, first).some((d) => d.kind === 'require')).toBe(true);
  // Elastic during the run, not only at its end: a release before the last require.
  expect(ds.findIndex((d) => d.kind === 'release')).toBeLessThan(ds.findLastIndex((d) => d.kind === 'require'));
}

describe('handover train --storm on the colocation system', () => {
  it('an MLP beside a step-paced storm: requires and releases are the scheduler decisions, and balance', async () => {
    const cfg = { layers: [13, 64, 10], optimizer: 'sgd' as const, lr: 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: 64, microBatch: 64, seed: 2 };
    const training = mlpTraining(cfg, null);
    const run = await trainOnSystem({
      device: dev, training, arena: { bytes: 40 * PAGE, pageBytes: PAGE }, storm: { everySteps: 2 },
      session: { train: randomData(256, 5), steps: 40, seed: 3, stopSignals: [] },
    });
    try {
      const ds = run.system.decisions.entries;
      console.log(`mlp storm: ${JSON.stringify(run.storm)} ${JSON.stringify(run.decisions)}, micro-batch ${run.trainer.stats.microBatchMin}..${run.trainer.stats.microBatchMax}`);
      expect(run.result.steps).toBe(40);
      expect(run.storm!.requests).toBe(20);
      expect(run.storm!.served + run.storm!.unserved).toBe(20);
      expect(run.storm!.served).toBeGreaterThan(0);
      expectBalanced(ds);
      // Training gave memory only when asked: each trainer handover is a logged require, but for the
      // storm's run workspace, taken once when the system was built.
      expect(run.trainer.handovers.length).toBeGreaterThan(1);
      expect(run.trainer.handovers.length - 1).toBeLessThanOrEqual(run.decisions.require);
      expect(run.trainer.stats.microBatchMin).toBeLessThan(run.trainer.stats.microBatchMax);
      expect(run.system.core.inferenceBytes).toBe(0);
      expect(Number.isFinite(run.result.loss)).toBe(true);
      // The storm's models are sized from training's elastic memory (the arena less its static state):
      // all of them together leave training a micro-batch, the largest takes a good part of it.
      const elastic = 40 * PAGE - staticBytesOf(training.model, PAGE);
      const sizes = run.system.store.list().map((m) => Math.ceil(m.bytes / PAGE) * PAGE);
      expect(sizes.reduce((a, b) => a + b, 0) + training.model.activationBytes(1)).toBeLessThanOrEqual(elastic);
      expect(Math.max(...sizes)).toBeGreaterThan(elastic / 4);
    } finally {
      await run.system.destroy();
    }
  }, 300_000);

  it('a GPT through the same TrainingSpec factory beside the storm', async () => {
    const cfg = { layers: 1, width: 32, heads: 2, context: 16, vocab: 256, recompute: false };
    const model = new GptModel(cfg, { ...GPT_HYPER, lr: 1e-3 });
    const text = loadText('fixture', cfg.context);
    const page = 16 << 10;
    const run = await trainOnSystem({
      device: dev, training: modelTraining(model, { effectiveBatch: 8, microBatch: 8, seed: 1 }, null),
      arena: { bytes: Math.ceil((staticBytesOf(model, page) * 2.5) / page) * page, pageBytes: page }, storm: { everySteps: 1 },
      session: { train: text.train, steps: 12, seed: 1, tokensPerSample: cfg.context, stopSignals: [] },
    });
    try {
      console.log(`gpt storm: ${JSON.stringify(run.storm)} ${JSON.stringify(run.decisions)}, loss ${run.result.loss}`);
      expect(run.result.steps).toBe(12);
      expect(run.storm!.requests).toBe(12);
      expectBalanced(run.system.decisions.entries);
      expect(Number.isFinite(run.result.loss)).toBe(true);
      expect(run.trainer.model).toBe(model);
    } finally {
      await run.system.destroy();
    }
  }, 300_000);

  it('a storm needs one pace and room for its requests: typed errors', () => {
    expect(() => new InferenceStorm({}, 1 << 20, 0, PAGE, 1)).toThrow(/either a rate .* or a whole number of steps/);
    expect(() => new InferenceStorm({ rate: 5, everySteps: 2 }, 1 << 20, 0, PAGE, 1)).toThrow(/either a rate/);
    expect(() => new InferenceStorm({ rate: 5 }, 8 * PAGE, 4 * PAGE, PAGE, 1)).toThrow(/has no room/);
  });
});
