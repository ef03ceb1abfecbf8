// Wrapper of shaders/strided_copy.wgsl: y[yOff + k.ys] = x[xOff + k.xs] over an
// iteration shape. Adjacent dims that are contiguous in both x and y are
// merged first, so rank-8 limits rarely bite (Tile interleaves 2x the rank).
import { packParams, type Bindable, type Launch } from '../core/device.js';
import { InvalidRangeError } from '../core/errors.js';

export function stridedCopy(x: Bindable, y: Bindable, dims: readonly number[], xs: readonly number[], ys: readonly number[], xOff = 0, yOff = 0): Launch {
  const d: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  dims.forEach((n, i) => {
    if (n === 1) return;
    const k = d.length - 1;
    if (k >= 0 && a[k] === xs[i]! * n && b[k] === ys[i]! * n) {
      d[k]! *= n;
      a[k] = xs[i]!;
      b[k] = ys[i]!;
    } else {
      d.push(n);
      a.push(xs[i]!);
      b.push(ys[i]!);
    }
  });
  if (d.length > 8) throw new InvalidRangeError(`strided copy over ${d.length} non-mergeable dims; at most 8 are supported`);
  const total = dims.reduce((p, q) => p * q, 1);
  const rank = d.length;
  while (d.length < 8) { d.push(1); a.push(0); b.push(0); }
  return {
    kernel: 'strided_copy',
    bindings: [x, y],
    params: packParams([total, rank, xOff, yOff, ...d, ...a.map((v) => ({ i32: v })), ...b]),
    threads: [total],
  };
}
