// A float64 GPT on the CPU, written from the math (nanoGPT's model with
// GPT-2's tanh GELU): forward, the mean cross-entropy over every target
// token, and the gradient of every parameter, laid out like the model's
// parameter allocation so it compares word for word with the GPU's.
import { seeded } from '../../src/train/data.js';
import type { GptConfig, GptLayout, Tensor } from '../../src/train/gpt/layout.js';
import { tokenDataset, type TokenDataset } from '../../src/train/gpt/text.js';

type F = Float64Array;
const K = Math.sqrt(2 / Math.PI);

function linear(x: F, w: F, b: F | null, n: number, inF: number, outF: number): F {
  const y = new Float64Array(n * outF);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let k = 0; k < inF; k++) s += x[i * inF + k]! * w[o * inF + k]!;
      y[i * outF + o] = s;
    }
  return y;
}

/** dW += dy^T x, db += column sums of dy; returns dx = dy W. */
function linearBack(dy: F, x: F, w: F, dw: F, db: F | null, n: number, inF: number, outF: number): F {
  const dx = new Float64Array(n * inF);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < outF; o++) {
      const g = dy[i * outF + o]!;
      if (db) db[o] += g;
      for (let k = 0; k < inF; k++) {
        dw[o * inF + k] += g * x[i * inF + k]!;
        dx[i * inF + k] += g * w[o * inF + k]!;
      }
    }
  return dx;
}

interface Ln { y: F; xhat: F; rstd: F }

function layernorm(x: F, gw: F, gb: F, n: number, c: number): Ln {
  const y = new Float64Array(n * c);
  const xhat = new Float64Array(n * c);
  const rstd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < c; j++) m += x[i * c + j]!;
    m /= c;
    let v = 0;
    for (let j = 0; j < c; j++) v += (x[i * c + j]! - m) ** 2;
    rstd[i] = 1 / Math.sqrt(v / c + 1e-5);
    for (let j = 0; j < c; j++) {
      xhat[i * c + j] = (x[i * c + j]! - m) * rstd[i]!;
      y[i * c + j] = xhat[i * c + j]! * gw[j]! + gb[j]!;
    }
  }
  return { y, xhat, rstd };
}

function layernormBack(dy: F, ln: Ln, gw: F, dgw: F, dgb: F, n: number, c: number): F {
  const dx = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let mg = 0;
    let mgx = 0;
    for (let j = 0; j < c; j++) {
      const g = dy[i * c + j]! * gw[j]!;
      mg += g;
      mgx += g * ln.xhat[i * c + j]!;
      dgw[j] += dy[i * c + j]! * ln.xhat[i * c + j]!;
      dgb[j] += dy[i * c + j]!;
    }
    mg /= c;
    mgx /= c;
    for (let j = 0; j < c; j++) dx[i * c + j] = ln.rstd[i]! * (dy[i * c + j]! * gw[j]! - mg - ln.xhat[i * c + j]! * mgx);
  }
  return dx;
}

const add = (a: F, b: F): F => a.map((v, i) => v + b[i]!);

export interface GptRef {
  loss: number;
  /** Gradient of the mean loss, in the parameter allocation's layout (padding 0). */
  grad: Float64Array;
}

/** Loss and gradients of `params` (the model's allocation) on b samples of T tokens. */
export function gptGradRef(layout: GptLayout, params: Float32Array | Float64Array, inputs: Uint32Array, targets: Uint32Array, b: number): GptRef {
  const { width: C, heads: H, context: T, vocab: V } = layout.config;
  const D = C / H;
  const N = b * T;
  const P = (t: Tensor) => Float64Array.from(params.subarray(t.at / 4, t.at / 4 + t.size));
  const grad = new Float64Array(params.length);
  const G = (t: Tensor) => grad.subarray(t.at / 4, t.at / 4 + t.size);
  const wte = P(layout.wte);
  const wpe = P(layout.wpe);
  let x = new Float64Array(N * C);
  for (let n = 0; n < N; n++) for (let j = 0; j < C; j++) x[n * C + j] = wte[inputs[n]! * C + j]! + wpe[(n % T) * C + j]!;
  const saved = [];
  for (const bt of layout.blocks) {
    const w = Object.fromEntries(Object.entries(bt).map(([k, t]) => [k, P(t)])) as Record<keyof typeof bt, F>;
    const ln1 = layernorm(x, w.ln1w, w.ln1b, N, C);
    const qkv = linear(ln1.y, w.attnW, w.attnB, N, C, 3 * C);
    const probs = new Float64Array(b * H * T * T);
    const atty = new Float64Array(N * C);
    for (let s = 0; s < b; s++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++) {
          const p = probs.subarray(((s * H + h) * T + t) * T, ((s * H + h) * T + t + 1) * T);
          let mx = -Infinity;
          for (let u = 0; u <= t; u++) {
            let dot = 0;
            for (let d = 0; d < D; d++) dot += qkv[(s * T + t) * 3 * C + h * D + d]! * qkv[(s * T + u) * 3 * C + C + h * D + d]!;
            p[u] = dot / Math.sqrt(D);
            mx = Math.max(mx, p[u]!);
          }
          let z = 0;
          for (let u = 0; u <= t; u++) z += p[u] = Math.exp(p[u]! - mx);
          for (let u = 0; u <= t; u++) {
            p[u] /= z;
            for (let d = 0; d < D; d++) atty[(s * T + t) * C + h * D + d] += p[u]! * qkv[(s * T + u) * 3 * C + 2 * C + h * D + d]!;
          }
        }
    const resid = add(x, linear(atty, w.projW, w.projB, N, C, C));
    const ln2 = layernorm(resid, w.ln2w, w.ln2b, N, C);
    const fc = linear(ln2.y, w.fcW, w.fcB, N, C, 4 * C);
    const gelu = fc.map((v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3))));
    saved.push({ bt, w, x, ln1, qkv, probs, atty, resid, ln2, fc, gelu });
    x = add(resid, linear(gelu, w.fcProjW, w.fcProjB, N, 4 * C, C));
  }
  const lnfW = P(layout.lnfW);
  const lnf = layernorm(x, lnfW, P(layout.lnfB), N, C);
  const logits = linear(lnf.y, wte, null, N, C, V);
  let loss = 0;
  const dlogits = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const row = logits.subarray(n * V, (n + 1) * V);
    const mx = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - mx), 0);
    loss += Math.log(z) + mx - row[targets[n]!]!;
    for (let v = 0; v < V; v++) dlogits[n * V + v] = (Math.exp(row[v]! - mx) / z - (v === targets[n] ? 1 : 0)) / N;
  }
  let dx = layernormBack(linearBack(dlogits, lnf.y, wte, G(layout.wte), null, N, C, V), lnf, lnfW, G(layout.lnfW), G(layout.lnfB), N, C);
  for (const s of saved.reverse()) {
    const { bt, w } = s;
    const dgelu = linearBack(dx, s.gelu, w.fcProjW, G(bt.fcProjW), G(bt.fcProjB), N, 4 * C, C);
    const dfc = s.fc.map((v, i) => {
      const th = Math.tanh(K * (v + 0.044715 * v ** 3));
      return dgelu[i]! * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * K * (1 + 3 * 0.044715 * v * v));
    });
    const dln2 = linearBack(dfc, s.ln2.y, w.fcW, G(bt.fcW), G(bt.fcB), N, C, 4 * C);
    const dresid = add(dx, layernormBack(dln2, s.ln2, w.ln2w, G(bt.ln2w), G(bt.ln2b), N, C));
    const datty = linearBack(dresid, s.atty, w.projW, G(bt.projW), G(bt.projB), N, C, C);
    const dqkv = new Float64Array(N * 3 * C);
    for (let sm = 0; sm < b; sm++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++) {
          const p = s.probs.subarray(((sm * H + h) * T + t) * T, ((sm * H + h) * T + t + 1) * T);
          const dp = new Float64Array(t + 1);
          let dot = 0;
          for (let u = 0; u <= t; u++) {
            for (let d = 0; d < D; d++) {
              const dy = datty[(sm * T + t) * C + h * D + d]!;
              dp[u] += dy * s.qkv[(sm * T + u) * 3 * C + 2 * C + h * D + d]!;
              dqkv[(sm * T + u) * 3 * C + 2 * C + h * D + d] += p[u]! * dy;
            }
            dot += p[u]! * dp[u]!;
          }
          for (let u = 0; u <= t; u++) {
            const ds = (p[u]! * (dp[u]! - dot)) / Math.sqrt(D);
            for (let d = 0; d < D; d++) {
              dqkv[(sm * T + t) * 3 * C + h * D + d] += ds * s.qkv[(sm * T + u) * 3 * C + C + h * D + d]!;
              dqkv[(sm * T + u) * 3 * C + C + h * D + d] += ds * s.qkv[(sm * T + t) * 3 * C + h * D + d]!;
            }
          }
        }
    const dln1 = linearBack(dqkv, s.ln1.y, w.attnW, G(bt.attnW), G(bt.attnB), N, C, 3 * C);
    dx = add(dresid, layernormBack(dln1, s.ln1, w.ln1w, G(bt.ln1w), G(bt.ln1b), N, C));
  }
  const dwte = G(layout.wte);
  const dwpe = G(layout.wpe);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < C; j++) {
      dwte[inputs[n]! * C + j] += dx[n * C + j]!;
      dwpe[(n % T) * C + j] += dx[n * C + j]!;
    }
  return { loss: loss / N, grad };
}

/** Odd shapes for tests: head size 8, three heads, context 7. */
export const TINY_GPT: GptConfig = { layers: 2, width: 24, heads: 3, context: 7, vocab: 256, recompute: false };

/** Fresh random tokens: n samples of `context` (+ 1 for the last target). */
export function randomTokens(n: number, context: number, seed: number): TokenDataset {
  const r = seeded(seed);
  return tokenDataset('random', Uint16Array.from({ length: n * context + 1 }, () => Math.floor(r() * 256)), context, 256);
}
