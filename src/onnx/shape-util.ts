// Shape arithmetic shared by static shape inference, CPU folding and GPU ops.
import type { OnnxNode } from './graph.js';

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** Numpy-style broadcast of several shapes; fails naming both shapes. */
export function broadcastDims(n: OnnxNode, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x) throw n.fail(`shapes ${shapes.map((s) => `[${s}]`).join(' and ')} cannot be broadcast together`);
      d = x;
    }
    out.push(shapes.some((s) => (s[s.length - rank + i] ?? 1) === 0) ? 0 : d);
  }
  return out;
}

/** Strides of `dims` read as if broadcast to `out` (0 along broadcast axes). */
export function broadcastStrides(dims: readonly number[], out: readonly number[]): number[] {
  const s = stridesOf(dims);
  const pad = out.length - dims.length;
  return out.map((_, i) => (i < pad || dims[i - pad] === 1 ? 0 : s[i - pad]!));
}

export function normAxis(n: OnnxNode, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw n.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

export interface SliceDim {
  start: number;
  step: number;
  len: number;
}

/** ONNX Slice semantics (clamping, negative steps) per dimension. */
export function resolveSlice(n: OnnxNode, dims: readonly number[], starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined): SliceDim[] {
  const out: SliceDim[] = dims.map((d) => ({ start: 0, step: 1, len: d }));
  const ax = axes ?? starts.map((_, i) => i);
  if (starts.length !== ends.length || ax.length !== starts.length || (steps && steps.length !== starts.length))
    throw n.fail(`starts (${starts.length}), ends (${ends.length}), axes (${ax.length}) and steps must have the same length`);
  const seen = new Set<number>();
  ax.forEach((a0, i) => {
    const a = normAxis(n, a0, dims.length);
    if (seen.has(a)) throw n.fail(`axis ${a0} appears twice`);
    seen.add(a);
    const d = dims[a]!;
    const step = steps?.[i] ?? 1;
    if (step === 0) throw n.fail('slice step must not be 0');
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const len = step > 0 ? Math.max(0, Math.ceil((e - s) / step)) : Math.max(0, Math.ceil((s - e) / -step));
    out[a] = { start: s, step, len };
  });
  return out;
}

/** Reshape target with 0 (copy, unless allowzero) and -1 (infer). */
export function resolveReshape(n: OnnxNode, dims: readonly number[], shape: readonly number[], allowzero = 0): number[] {
  const total = dims.reduce((a, b) => a * b, 1);
  const out = shape.map((s, i) => (s === 0 && !allowzero ? dims[i] ?? NaN : s));
  if (out.some((d) => Number.isNaN(d))) throw n.fail(`shape [${shape}] copies a dimension (0) beyond the input rank ${dims.length}`);
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1) throw n.fail(`shape [${shape}] has more than one -1`);
  const known = out.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (minus === 1) {
    if (known === 0 || total % known !== 0) throw n.fail(`cannot reshape [${dims}] (${total} elements) into [${shape}]`);
    out[out.indexOf(-1)] = total / known;
  }
  if (out.some((d) => d < 0) || out.reduce((a, b) => a * b, 1) !== total) throw n.fail(`cannot reshape [${dims}] (${total} elements) into [${shape}]`);
  return out;
}

export function unsqueezeDims(n: OnnxNode, dims: readonly number[], axes: number[]): number[] {
  const rank = dims.length + axes.length;
  const ax = new Set(axes.map((a) => normAxis(n, a, rank)));
  if (ax.size !== axes.length) throw n.fail(`axes [${axes}] repeat an axis`);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(ax.has(i) ? 1 : dims[k++]!);
  return out;
}

export function squeezeDims(n: OnnxNode, dims: readonly number[], axes: number[] | undefined): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const ax = new Set(axes.map((a) => normAxis(n, a, dims.length)));
  for (const a of ax) if (dims[a] !== 1) throw n.fail(`cannot squeeze axis ${a} of size ${dims[a]} (shape [${dims}])`);
  return dims.filter((_, i) => !ax.has(i));
}
