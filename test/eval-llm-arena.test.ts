// The LLM evaluation's contended arena (src/eval/llm/arena-size.ts): the
// smallest arena holding the decoder, its workspace, Infer-Only's KV peak and
// training at its least. Checked here: the sum and its refusals, and that
// "training at its least" is what a real Trainer needs: a GPT trains a
// micro-batch of one sample in exactly that many pages (the test's arena
// adds nothing but them), and in one page fewer no micro-batch fits.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { allocationCapOf, ARENA_SLACK_PAGES, contendedArena, evalTrainingModel, trainingMinimumPages } from '../src/eval/llm/arena-size.js';
import { GPT_HYPER, type GptConfig } from '../src/train/gpt/layout.js';
import { GptModel } from '../src/train/gpt/model.js';
import { Trainer } from '../src/train/trainer.js';
import { randomTokens } from './helpers/gpt-model-ref.js';
import { testDevice } from './helpers/gpu.js';

const PAGE = 16 << 10;
// Parameters over several pages each (about 120 K), activations of one sample over a few.
const GPT: GptConfig = { layers: 2, width: 64, heads: 4, context: 24, vocab: 256, recompute: false };

describe('the contended arena of the LLM evaluation', () => {
  it('is the decoder, its workspace, the KV peak and training at its least, plus the slack; it says its numbers', () => {
    const c = contendedArena({ decoderPages: 311, workspacePages: 145, peakKvPages: 53, trainMinPages: 197, trainWantPages: 417 });
    expect(c.pages).toBe(311 + 145 + 53 + 197 + ARENA_SLACK_PAGES);
    expect(c.text).toContain(`arena ${c.pages} pages`);
    expect(c.text).toContain("Infer-Only's KV peak 53");
    // The peak against what training could grow into beyond one sample: 53 of 55.
    expect(c.text).toContain('96% of the 55 pages');
    expect(() => contendedArena({ decoderPages: 1, workspacePages: 1, peakKvPages: -1, trainMinPages: 1, trainWantPages: 1 })).toThrow(/peakKvPages/);
    expect(() => contendedArena({ decoderPages: 1.5, workspacePages: 1, peakKvPages: 1, trainMinPages: 1, trainWantPages: 1 })).toThrow(/decoderPages/);
  });

  it('training at its least is what a GPT trainer needs: one sample trains in exactly those pages, none fits in one fewer', async () => {
    const dev = await testDevice();
    const model = () => new GptModel(GPT, GPT_HYPER);
    const least = trainingMinimumPages(model(), PAGE, allocationCapOf(dev, PAGE));
    expect(evalTrainingModel({ layers: [64, 10], microBatch: 4, effectiveBatch: 4, lr: 0.1 }, { config: GPT, dataset: 'fixture', lr: 1e-3 }).paramBytes).toBe(model().paramBytes);
    const data = randomTokens(2, GPT.context, 3);
    for (const pages of [least, least - 1]) {
      const arena = new Arena(dev, { bytes: pages * PAGE, pageBytes: PAGE });
      try {
        const t = Trainer.forModel(arena, new Gate(dev, { maxInFlight: 3 }), { effectiveBatch: 2, microBatch: 2, seed: 5 }, model());
        t.init();
        const fit = (t as unknown as { memory: { fit(): number } }).memory.fit(); // training-memory.ts
        console.log(`${pages} pages (least ${least}): static ${t.staticBytes / PAGE}, micro-batch that fits ${fit}`);
        if (pages === least) {
          expect(fit).toBe(1);
          await t.step(data, Uint32Array.from([0, 1]));
          expect(t.stats.samples).toBe(2);
          expect(Number.isFinite(await t.lastLoss())).toBe(true);
        } else expect(fit).toBe(0);
      } finally {
        arena.destroy();
      }
    }
  }, 120_000);
});
