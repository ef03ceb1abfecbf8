// Float64 CPU references of the kernels.

export function matmulRef(
  a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number,
  transA = false, transB = false, alpha = 1, beta = 0, c0?: ArrayLike<number>,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[transA ? t * m + i : i * k + t]! * b[transB ? j * k + t : t * n + j]!;
      c[i * n + j] = alpha * s + (beta !== 0 ? beta * c0![i * n + j]! : 0);
    }
  return c;
}

export function softmaxXentRef(logits: ArrayLike<number>, labels: ArrayLike<number>, m: number, c: number) {
  const probs = new Float64Array(m * c);
  const loss = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let mx = -Infinity;
    for (let j = 0; j < c; j++) mx = Math.max(mx, logits[r * c + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(logits[r * c + j]! - mx);
    for (let j = 0; j < c; j++) probs[r * c + j] = Math.exp(logits[r * c + j]! - mx) / s;
    loss[r] = Math.log(s) - (logits[r * c + labels[r]!]! - mx);
  }
  return { probs, loss };
}
