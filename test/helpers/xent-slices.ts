// Softmax cross-entropy cut into row slices (the gate's time slicing) must
// give exactly what the whole launch gives, and both must match the float64
// reference; outputs NaN-poisoned first. Shared by the kernel suite (every
// backend's default kernels) and the forced WebGPU kernel sets.
import { expect } from 'vitest';
import { softmaxXent } from '../../src/kernels/softmax-xent.js';
import { closeness, randn, type Scratch } from './gpu.js';
import { softmaxXentRef } from './reference.js';

export async function expectXentSlicesExact(s: Scratch, r: () => number, m: number, c: number): Promise<void> {
  const host = randn(m * c, r, 4);
  const logits = s.upload(host);
  const labels = Uint32Array.from({ length: m }, () => Math.floor(r() * c));
  const lab = s.upload(labels);
  const [probs, loss, sp, sl] = [s.poisoned(m * c), s.poisoned(m), s.poisoned(m * c), s.poisoned(m)];
  s.device.launch(softmaxXent(logits, lab, probs, loss, m, c));
  const slicer = softmaxXent(logits, lab, sp, sl, m, c).slice!;
  expect(slicer.rows).toBe(m);
  const a = Math.floor(m / 3); // slices: [0, a), one row at an odd start, then to the end
  for (const [row0, rows] of [[0, a], [a, 1], [a + 1, m - a - 1]]) if (rows > 0) s.device.launch(slicer.at(row0, rows));
  const ref = softmaxXentRef(host, labels, m, c);
  const whole = await s.readF32(probs, m * c);
  expect(closeness(whole, ref.probs)).toBeLessThan(1);
  expect(closeness(await s.readF32(loss, m), ref.loss)).toBeLessThan(1);
  expect(Array.from(await s.readF32(sp, m * c))).toEqual(Array.from(whole));
  expect(Array.from(await s.readF32(sl, m))).toEqual(Array.from(await s.readF32(loss, m)));
  await s.reset();
}
