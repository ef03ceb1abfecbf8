// CPU evaluation of the ops that appear in shape-only subgraphs (Shape ->
// Gather -> Concat -> Reshape, masks built from ConstantOfShape and Trilu,
// ...). When every input of such a node is known at load time, the planner
// runs it here and the result becomes a constant: no GPU work at run time.
import type { OnnxNode } from './graph.js';
import { roundToHalf } from './half.js';
import { alloc, fromValues, isInt, sizeOf, type DType, type HostTensor } from './tensor.js';
import { SizeLimitError } from './limits.js';
import { broadcastDims, broadcastStrides, normAxis, resolveReshape, resolveSlice, squeezeDims, stridesOf, unsqueezeDims } from './shape-util.js';

export type CpuOp = (n: OnnxNode, ins: (HostTensor | undefined)[], opset: number) => HostTensor[];

export function ints(t: HostTensor | undefined): number[] {
  return t ? Array.from(t.data as ArrayLike<number>) : [];
}

function need(n: OnnxNode, ins: (HostTensor | undefined)[], i: number): HostTensor {
  const t = ins[i];
  if (!t) throw n.fail(`input ${i} is required`);
  return t;
}

/** As the device casts (shaders/cast.wgsl): int32 <-> uint32 keep the bits (wrap modulo 2^32). */
function castValue(v: number, to: DType): number {
  if (to === 'float32') return Math.fround(v);
  if (to === 'float16') return roundToHalf(v);
  if (to === 'bool') return v !== 0 ? 1 : 0;
  if (!Number.isFinite(v)) return 0;
  const t = Math.trunc(v);
  if (to === 'uint32') return t >= 0 ? Math.min(t, 0xffffffff) : Math.max(t, -0x80000000) >>> 0;
  if (to === 'int32' && t > 0x7fffffff && t <= 0xffffffff) return t | 0;
  return t;
}

export const TYPE_OF_CODE: Record<number, DType> = { 1: 'float32', 11: 'float32', 10: 'float16', 7: 'int64', 6: 'int32', 12: 'uint32', 3: 'int32', 2: 'int32', 9: 'bool' };

function binary(outType: ((a: DType) => DType) | null, f: (a: number, b: number, t: DType) => number): CpuOp {
  return (n, ins) => {
    const a = need(n, ins, 0);
    const b = need(n, ins, 1);
    const dims = broadcastDims(n, a.dims, b.dims);
    const out = alloc(outType ? outType(a.type) : a.type, dims);
    const sa = broadcastStrides(a.dims, dims);
    const sb = broadcastStrides(b.dims, dims);
    const so = stridesOf(dims);
    for (let i = 0; i < out.data.length; i++) {
      let ia = 0;
      let ib = 0;
      for (let d = 0; d < dims.length; d++) {
        const k = Math.floor(i / so[d]!) % dims[d]!;
        ia += k * sa[d]!;
        ib += k * sb[d]!;
      }
      out.data[i] = castValue(f(a.data[ia]!, b.data[ib]!, a.type), out.type);
    }
    return [out];
  };
}

/** Gathers elements of `src` into a new tensor of `dims` through an index map. */
function remap(src: HostTensor, dims: number[], at: (idx: number[]) => number): HostTensor {
  const out = alloc(src.type, dims);
  const so = stridesOf(dims);
  const idx = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < out.data.length; i++) {
    for (let d = 0; d < dims.length; d++) idx[d] = Math.floor(i / so[d]!) % dims[d]!;
    out.data[i] = src.data[at(idx)]!;
  }
  return out;
}

function axesOf(n: OnnxNode, ins: (HostTensor | undefined)[], opset: number, since: number): number[] | undefined {
  return opset >= since ? (ins[1] ? ints(ins[1]) : undefined) : n.ints('axes');
}

const evaluators: Record<string, CpuOp> = {
  Identity: (n, ins) => [need(n, ins, 0)],
  Constant: (n) => {
    const t = n.tensor('value');
    if (t) return [t];
    if (n.attrs.has('value_float')) return [fromValues('float32', [], [n.float('value_float', 0)])];
    if (n.attrs.has('value_floats')) { const v = n.attrs.get('value_floats') as number[]; return [fromValues('float32', [v.length], v)]; }
    if (n.attrs.has('value_int')) return [fromValues('int64', [], [n.int('value_int')])];
    if (n.attrs.has('value_ints')) { const v = n.ints('value_ints')!; return [fromValues('int64', [v.length], v)]; }
    throw n.fail('Constant needs a value, value_float(s) or value_int(s) attribute (sparse and string values are not supported)');
  },
  Shape: (n, ins) => {
    const d = need(n, ins, 0).dims;
    let s = n.int('start', 0);
    let e = n.int('end', d.length);
    if (s < 0) s += d.length;
    if (e < 0) e += d.length;
    const v = d.slice(Math.max(0, s), Math.min(d.length, e));
    return [fromValues('int64', [v.length], v)];
  },
  Size: (n, ins) => [fromValues('int64', [], [sizeOf(need(n, ins, 0).dims)])],
  ConstantOfShape: (n, ins) => {
    const dims = ints(need(n, ins, 0));
    const v = n.tensor('value') ?? fromValues('float32', [1], [0]);
    const out = alloc(v.type, dims);
    out.data.fill(v.data[0] ?? 0);
    return [out];
  },
  Cast: (n, ins) => {
    const a = need(n, ins, 0);
    const to = TYPE_OF_CODE[n.int('to')];
    if (!to) throw n.fail(`Cast to type ${n.int('to')} is not supported (float, float16, double, int64, int32, uint32, int8, uint8, bool are)`);
    const out = alloc(to, [...a.dims]);
    for (let i = 0; i < out.data.length; i++) out.data[i] = castValue(a.data[i]!, to);
    return [out];
  },
  Range: (n, ins) => {
    const [s, l, d] = [0, 1, 2].map((i) => need(n, ins, i).data[0]!);
    if (d === 0) throw n.fail('Range delta must not be 0');
    if (![s, l, d].every(Number.isFinite)) throw n.fail(`Range(${s}, ${l}, ${d}) needs finite start, limit and delta`);
    const len = Math.max(0, Math.ceil((l - s) / d));
    const out = alloc(need(n, ins, 0).type, [len]);
    for (let i = 0; i < len; i++) out.data[i] = s + i * d;
    return [out];
  },
  Gather: (n, ins) => {
    const data = need(n, ins, 0);
    const idx = need(n, ins, 1);
    const axis = normAxis(n, n.int('axis', 0), data.dims.length);
    const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
    const st = stridesOf(data.dims);
    const ir = idx.dims.length;
    const si = stridesOf(idx.dims);
    return [remap(data, dims, (k) => {
      let flat = 0;
      for (let j = 0; j < ir; j++) flat += k[axis + j]! * si[j]!;
      let g = idx.data[flat]!;
      if (g < 0) g += data.dims[axis]!;
      if (g < 0 || g >= data.dims[axis]!) throw n.fail(`index ${idx.data[flat]} is out of range for axis ${axis} of size ${data.dims[axis]}`);
      let o = g * st[axis]!;
      for (let d = 0; d < axis; d++) o += k[d]! * st[d]!;
      for (let d = axis + 1; d < data.dims.length; d++) o += k[d - 1 + ir]! * st[d]!;
      return o;
    })];
  },
  Concat: (n, ins) => {
    const ts = ins.filter((t): t is HostTensor => !!t && sizeOf(t.dims) >= 0);
    const rank = ts[0]!.dims.length;
    const axis = normAxis(n, n.int('axis'), rank);
    const dims = [...ts[0]!.dims];
    dims[axis] = ts.reduce((a, t) => a + t.dims[axis]!, 0);
    const out = alloc(ts[0]!.type, dims);
    const outer = sizeOf(dims.slice(0, axis));
    let o = 0;
    for (let p = 0; p < outer; p++)
      for (const t of ts) {
        const chunk = sizeOf(t.dims.slice(axis));
        for (let j = 0; j < chunk; j++) out.data[o++] = t.data[p * chunk + j]!;
      }
    return [out];
  },
  Unsqueeze: (n, ins, opset) => {
    const a = need(n, ins, 0);
    return [{ ...a, dims: unsqueezeDims(n, a.dims, axesOf(n, ins, opset, 13) ?? []) }];
  },
  Squeeze: (n, ins, opset) => {
    const a = need(n, ins, 0);
    return [{ ...a, dims: squeezeDims(n, a.dims, axesOf(n, ins, opset, 13)) }];
  },
  Reshape: (n, ins) => {
    const a = need(n, ins, 0);
    return [{ ...a, dims: resolveReshape(n, a.dims, ints(need(n, ins, 1)), n.int('allowzero', 0)) }];
  },
  Flatten: (n, ins) => {
    const a = need(n, ins, 0);
    const axis = n.int('axis', 1) < 0 ? n.int('axis', 1) + a.dims.length : n.int('axis', 1);
    return [{ ...a, dims: [sizeOf(a.dims.slice(0, axis)), sizeOf(a.dims.slice(axis))] }];
  },
  Slice: (n, ins, opset) => {
    const a = need(n, ins, 0);
    const sl = opset >= 10
      ? resolveSlice(n, a.dims, ints(ins[1]), ints(ins[2]), ins[3] ? ints(ins[3]) : undefined, ins[4] ? ints(ins[4]) : undefined)
      : resolveSlice(n, a.dims, n.ints('starts')!, n.ints('ends')!, n.ints('axes'), undefined);
    const st = stridesOf(a.dims);
    return [remap(a, sl.map((s) => s.len), (k) => k.reduce((o, x, d) => o + (sl[d]!.start + x * sl[d]!.step) * st[d]!, 0))];
  },
  Expand: (n, ins) => {
    const a = need(n, ins, 0);
    const dims = broadcastDims(n, a.dims, ints(need(n, ins, 1)));
    const s = broadcastStrides(a.dims, dims);
    return [remap(a, dims, (k) => k.reduce((o, x, d) => o + x * s[d]!, 0))];
  },
  Transpose: (n, ins) => {
    const a = need(n, ins, 0);
    const perm = n.ints('perm') ?? a.dims.map((_, i) => a.dims.length - 1 - i);
    const st = stridesOf(a.dims);
    return [remap(a, perm.map((p) => a.dims[p]!), (k) => k.reduce((o, x, d) => o + x * st[perm[d]!]!, 0))];
  },
  Trilu: (n, ins) => {
    const a = need(n, ins, 0);
    const k = ins[1] ? ins[1].data[0]! : 0;
    const upper = n.int('upper', 1);
    const [r, c] = a.dims.slice(-2) as [number, number];
    const out = alloc(a.type, [...a.dims]);
    for (let i = 0; i < out.data.length; i++) {
      const j = i % c;
      const row = Math.floor(i / c) % r;
      const keep = upper ? j - row >= k : j - row <= k;
      out.data[i] = keep ? a.data[i]! : 0;
    }
    return [out];
  },
  Where: (n, ins) => {
    const [c, x, y] = [0, 1, 2].map((i) => need(n, ins, i));
    const dims = broadcastDims(n, c!.dims, x!.dims, y!.dims);
    const [sc, sx, sy] = [c!, x!, y!].map((t) => broadcastStrides(t.dims, dims));
    const out = alloc(x!.type, dims);
    const so = stridesOf(dims);
    for (let i = 0; i < out.data.length; i++) {
      let [ic, ix, iy] = [0, 0, 0];
      for (let d = 0; d < dims.length; d++) {
        const k = Math.floor(i / so[d]!) % dims[d]!;
        ic += k * sc![d]!;
        ix += k * sx![d]!;
        iy += k * sy![d]!;
      }
      out.data[i] = c!.data[ic] ? x!.data[ix]! : y!.data[iy]!;
    }
    return [out];
  },
  Add: binary(null, (a, b) => a + b),
  Sub: binary(null, (a, b) => a - b),
  Mul: binary(null, (a, b) => a * b),
  Div: binary(null, (a, b, t) => (isInt(t) ? Math.trunc(a / b) : a / b)),
  Min: binary(null, (a, b) => Math.min(a, b)),
  Max: binary(null, (a, b) => Math.max(a, b)),
  Equal: binary(() => 'bool', (a, b) => (a === b ? 1 : 0)),
  Less: binary(() => 'bool', (a, b) => (a < b ? 1 : 0)),
  Greater: binary(() => 'bool', (a, b) => (a > b ? 1 : 0)),
  And: binary(() => 'bool', (a, b) => (a && b ? 1 : 0)),
  Or: binary(() => 'bool', (a, b) => (a || b ? 1 : 0)),
  Not: (n, ins) => {
    const a = need(n, ins, 0);
    return [fromValues('bool', [...a.dims], Array.from(a.data, (v) => (v ? 0 : 1)))];
  },
  Neg: (n, ins) => {
    const a = need(n, ins, 0);
    return [fromValues(a.type, [...a.dims], Array.from(a.data, (v) => -v))];
  },
  Sqrt: (n, ins) => {
    const a = need(n, ins, 0);
    return [fromValues(a.type, [...a.dims], Array.from(a.data, (v) => Math.sqrt(v)))];
  },
};

/**
 * The host evaluators, each naming its node when a result would be too large
 * to compute on the host (alloc() throws a SizeLimitError without a node).
 */
export const cpuOps: Record<string, CpuOp> = Object.fromEntries(
  Object.entries(evaluators).map(([op, f]): [string, CpuOp] => [op, (n, ins, opset) => {
    try {
      return f(n, ins, opset);
    } catch (e) {
      if (e instanceof SizeLimitError && !e.node) throw new SizeLimitError(n.name, n.op, e.what, e.size, e.limit);
      throw e;
    }
  }]),
);
