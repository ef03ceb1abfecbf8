// Summaries of training runs. A whole run (epochs, a storm beside it, the
// test accuracy) is a face of the colocation system: src/system/train.ts.

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
