// Float64 CPU references of the GPT training kernels (docs/gpt-kernels.md),
// written from the definitions, for test/gpt-kernels*.test.ts.
type Arr = ArrayLike<number>;

export function embeddingRef(tokens: Arr, wte: Arr, wpe: Arr, b: number, t: number, c: number, vocab: number): Float64Array {
  const out = new Float64Array(b * t * c);
  for (let r = 0; r < b * t; r++)
    for (let j = 0; j < c; j++) out[r * c + j] = tokens[r]! < vocab ? wte[tokens[r]! * c + j]! + wpe[(r % t) * c + j]! : NaN;
  return out;
}

/** [dwte, dwpe] added to the given starting gradients. */
export function embeddingBackwardRef(dout: Arr, tokens: Arr, dwte0: Arr, dwpe0: Arr, b: number, t: number, c: number): [Float64Array, Float64Array] {
  const dwte = Float64Array.from(dwte0);
  const dwpe = Float64Array.from(dwpe0);
  for (let r = 0; r < b * t; r++)
    for (let j = 0; j < c; j++) {
      dwte[tokens[r]! * c + j] += dout[r * c + j]!;
      dwpe[(r % t) * c + j] += dout[r * c + j]!;
    }
  return [dwte, dwpe];
}

export function layernormRef(x: Arr, gamma: Arr, beta: Arr, n: number, c: number, eps: number) {
  const y = new Float64Array(n * c);
  const mean = new Float64Array(n);
  const rstd = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += x[r * c + j]!;
    const mu = s / c;
    let q = 0;
    for (let j = 0; j < c; j++) q += (x[r * c + j]! - mu) ** 2;
    const rs = 1 / Math.sqrt(q / c + eps);
    for (let j = 0; j < c; j++) y[r * c + j] = (x[r * c + j]! - mu) * rs * gamma[j]! + beta[j]!;
    mean[r] = mu;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

/** dx, dgamma, dbeta of LayerNorm by the chain rule, from the forward recomputed in float64. */
export function layernormBackwardRef(dy: Arr, x: Arr, gamma: Arr, n: number, c: number, eps: number) {
  const { mean, rstd } = layernormRef(x, gamma, new Float64Array(c), n, c, eps);
  const dx = new Float64Array(n * c);
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    const xhat = (j: number) => (x[r * c + j]! - mean[r]!) * rstd[r]!;
    let mg = 0;
    let mgx = 0;
    for (let j = 0; j < c; j++) {
      const g = dy[r * c + j]! * gamma[j]!;
      mg += g / c;
      mgx += (g * xhat(j)) / c;
      dgamma[j] += dy[r * c + j]! * xhat(j);
      dbeta[j] += dy[r * c + j]!;
    }
    for (let j = 0; j < c; j++) dx[r * c + j] = rstd[r]! * (dy[r * c + j]! * gamma[j]! - mg - xhat(j) * mgx);
  }
  return { dx, dgamma, dbeta };
}

const K = Math.sqrt(2 / Math.PI);
export function geluRef(x: number): number {
  return 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x ** 3)));
}
export function geluGradRef(x: number): number {
  const th = Math.tanh(K * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * K * (1 + 3 * 0.044715 * x * x);
}

/** Causal attention over qkv [B, T, 3C]: y [B, T, C] and lse [B, H, T]. */
export function attentionRef(qkv: Arr, b: number, t: number, h: number, d: number) {
  const c = h * d;
  const y = new Float64Array(b * t * c);
  const lse = new Float64Array(b * h * t);
  const probs = new Float64Array(b * h * t * t);
  const scale = 1 / Math.sqrt(d);
  const at = (bi: number, ti: number, part: number, hi: number, di: number) => qkv[(bi * t + ti) * 3 * c + part * c + hi * d + di]!;
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let ti = 0; ti < t; ti++) {
        const sc: number[] = [];
        for (let si = 0; si <= ti; si++) {
          let dot = 0;
          for (let di = 0; di < d; di++) dot += at(bi, ti, 0, hi, di) * at(bi, si, 1, hi, di);
          sc.push(dot * scale);
        }
        const mx = Math.max(...sc);
        const sum = sc.reduce((a, v) => a + Math.exp(v - mx), 0);
        const row = (bi * h + hi) * t + ti;
        lse[row] = mx + Math.log(sum);
        sc.forEach((v, si) => (probs[row * t + si] = Math.exp(v - lse[row]!)));
        for (let di = 0; di < d; di++) {
          let acc = 0;
          for (let si = 0; si <= ti; si++) acc += probs[row * t + si]! * at(bi, si, 2, hi, di);
          y[(bi * t + ti) * c + hi * d + di] = acc;
        }
      }
  return { y, lse, probs };
}

/** dqkv [B, T, 3C] of causal attention from dy [B, T, C]. */
export function attentionBackwardRef(qkv: Arr, dy: Arr, b: number, t: number, h: number, d: number): Float64Array {
  const c = h * d;
  const { probs } = attentionRef(qkv, b, t, h, d);
  const dqkv = new Float64Array(b * t * 3 * c);
  const scale = 1 / Math.sqrt(d);
  const idx = (bi: number, ti: number, part: number, hi: number, di: number) => (bi * t + ti) * 3 * c + part * c + hi * d + di;
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let ti = 0; ti < t; ti++) {
        const row = (bi * h + hi) * t + ti;
        // dP[s] = dy_t . v_s; dS = P (dP - sum_s P dP)
        const dp: number[] = [];
        for (let si = 0; si <= ti; si++) {
          let dot = 0;
          for (let di = 0; di < d; di++) dot += dy[(bi * t + ti) * c + hi * d + di]! * qkv[idx(bi, si, 2, hi, di)]!;
          dp.push(dot);
        }
        const pdp = dp.reduce((a, v, si) => a + probs[row * t + si]! * v, 0);
        for (let si = 0; si <= ti; si++) {
          const p = probs[row * t + si]!;
          const ds = p * (dp[si]! - pdp) * scale;
          for (let di = 0; di < d; di++) {
            dqkv[idx(bi, ti, 0, hi, di)] += ds * qkv[idx(bi, si, 1, hi, di)]!;
            dqkv[idx(bi, si, 1, hi, di)] += ds * qkv[idx(bi, ti, 0, hi, di)]!;
            dqkv[idx(bi, si, 2, hi, di)] += p * dy[(bi * t + ti) * c + hi * d + di]!;
          }
        }
      }
  return dqkv;
}

export const IGNORE = 0xffffffff;

/** Per-row loss and lse, and dlogits = scale (softmax - onehot) (0 on ignored rows). */
export function crossEntropyRef(logits: Arr, targets: Arr, n: number, v: number, scale: number) {
  const loss = new Float64Array(n);
  const lse = new Float64Array(n);
  const dlogits = new Float64Array(n * v);
  for (let r = 0; r < n; r++) {
    let mx = -Infinity;
    for (let j = 0; j < v; j++) mx = Math.max(mx, logits[r * v + j]!);
    let s = 0;
    for (let j = 0; j < v; j++) s += Math.exp(logits[r * v + j]! - mx);
    lse[r] = mx + Math.log(s);
    const tg = targets[r]!;
    if (tg === IGNORE) continue;
    loss[r] = lse[r]! - logits[r * v + tg]!;
    for (let j = 0; j < v; j++) dlogits[r * v + j] = scale * (Math.exp(logits[r * v + j]! - lse[r]!) - (j === tg ? 1 : 0));
  }
  return { loss, lse, dlogits };
}

/** torch.optim.AdamW's step t (from 1) on float64 copies; g is multiplied by coef first. */
export function adamwRef(w: Arr, g: Arr, m: Arr, v: Arr, lr: number, b1: number, b2: number, eps: number, wd: number, t: number, coef: number) {
  const W = Float64Array.from(w);
  const M = Float64Array.from(m);
  const V = Float64Array.from(v);
  for (let i = 0; i < W.length; i++) {
    const gi = g[i]! * coef;
    W[i] = W[i]! * (1 - lr * wd);
    M[i] = b1 * M[i]! + (1 - b1) * gi;
    V[i] = b2 * V[i]! + (1 - b2) * gi * gi;
    W[i] = W[i]! - (lr * (M[i]! / (1 - b1 ** t))) / (Math.sqrt(V[i]! / (1 - b2 ** t)) + eps);
  }
  return { w: W, m: M, v: V };
}
