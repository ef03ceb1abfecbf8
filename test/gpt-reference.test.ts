// The GPT's float64 reference checked by finite differences of its own
// loss, its parameter layout, and its exact activation bytes (CPU only).
import { describe, expect, it } from 'vitest';
import { gptActivationBytes } from '../src/train/gpt/activations.js';
import { gptInitialParameters, gptLayout, type GptConfig } from '../src/train/gpt/layout.js';
import { windows } from '../src/train/gpt/text.js';
import { rng } from './helpers/gpu.js';
import { gptGradRef, randomTokens, TINY_GPT as tiny } from './helpers/gpt-model-ref.js';

describe('GPT float64 reference', () => {
  it('its gradients match central differences of its own loss', () => {
    const cfg: GptConfig = { layers: 2, width: 8, heads: 2, context: 5, vocab: 256, recompute: false };
    const layout = gptLayout(cfg);
    const r = rng(11);
    const params = Float64Array.from(gptInitialParameters(layout, 3), (v, i) => v + (i % 7 === 0 ? 0.05 * (r() - 0.5) : 0));
    for (const t of layout.tensors.filter((x) => !x.decay)) for (let i = 0; i < t.size; i++) params[t.at / 4 + i] += 0.1 * (r() - 0.5); // non-trivial LN and biases
    const data = randomTokens(2, cfg.context, 4);
    const { inputs, targets } = windows(data, [0, 1]);
    const { grad } = gptGradRef(layout, params, inputs, targets, 2);
    let checked = 0;
    for (const t of layout.tensors) {
      for (let k = 0; k < 2; k++) {
        const i = t.at / 4 + Math.floor(r() * t.size);
        const h = 1e-5;
        const old = params[i]!;
        params[i] = old + h;
        const up = gptGradRef(layout, params, inputs, targets, 2).loss;
        params[i] = old - h;
        const down = gptGradRef(layout, params, inputs, targets, 2).loss;
        params[i] = old;
        const fd = (up - down) / (2 * h);
        expect(Math.abs(fd - grad[i]!), `${t.name}[${i - t.at / 4}]: ${fd} vs ${grad[i]}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(fd));
        checked++;
      }
    }
    expect(checked).toBe(layout.tensors.length * 2);
  });
});

describe('GPT layout and activation memory', () => {
  it('counts GPT-2 small as 124M parameters with a 50257 vocabulary (tied head), and puts decayed tensors first', () => {
    const l = gptLayout({ layers: 12, width: 768, heads: 12, context: 1024, vocab: 50257, recompute: false });
    expect(l.count).toBe(124_439_808);
    const decayed = l.tensors.filter((t) => t.decay);
    expect(decayed.every((t) => t.shape.length === 2)).toBe(true);
    expect(Math.max(...decayed.map((t) => t.at))).toBeLessThan(l.decayBytes);
    expect(Math.min(...l.tensors.filter((t) => !t.decay).map((t) => t.at))).toBe(l.decayBytes);
  });

  it('activation bytes grow with the micro-batch, linearly up to alignment, and recompute keeps one block instead of L', () => {
    const cfg = { ...tiny, layers: 4 };
    const per = (b: number) => gptActivationBytes(cfg, b);
    const C = cfg.width;
    const N = 64 * cfg.context; // rows at b = 64 (every view a multiple of 256 bytes)
    const blockBytes = 4 * (N * C * 4 + N * 4 + N * 3 * C + N * 4 * C * 2 + 64 * cfg.heads * cfg.context); // ln1 atty resid ln2, 2 means 2 rstds, qkv, fc gelu, lse
    expect(Math.abs(per(128) - 2 * per(64))).toBeLessThanOrEqual(256); // linear but for the embedding index's extra word
    expect(per(64) - gptActivationBytes({ ...cfg, recompute: true }, 64)).toBe(3 * blockBytes);
    for (let b = 1; b < 40; b++) expect(per(b + 1)).toBeGreaterThan(per(b));
  });

  it('refuses shapes it cannot run, with the reason', () => {
    expect(() => gptLayout({ ...tiny, heads: 5 })).toThrow(/not a multiple of heads/);
    expect(() => gptLayout({ ...tiny, width: 512, heads: 2 })).toThrow(/head size 256/);
    expect(() => gptLayout({ ...tiny, layers: 0 })).toThrow(/layers must be a positive integer/);
  });
});

