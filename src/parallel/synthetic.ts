// A seeded synthetic classification set (no files needed on the GPU
// machine): features uniform in [0, 1), labels from a fixed random linear
// teacher, so the MLP has something real to learn.
import { seeded, type Dataset, type Split } from '../train/data.js';

export function syntheticSplit(n: number, features: number, classes: number, seed: number): Split {
  const rand = seeded(seed);
  const w = Float32Array.from({ length: classes * features }, () => rand() * 2 - 1);
  const make = (count: number, name: string): Dataset => {
    const x = Float32Array.from({ length: count * features }, () => rand());
    const labels = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = 0;
        for (let j = 0; j < features; j++) s += w[c * features + j]! * (x[i * features + j]! - 0.5);
        if (s > bestScore) [best, bestScore] = [c, s];
      }
      labels[i] = best;
    }
    return { name, x, labels, n: count, features, classes };
  };
  return { train: make(n, 'synthetic-train'), test: make(Math.max(1, Math.floor(n / 8)), 'synthetic-test') };
}
