// Compares the engine's outputs with a case's expected outputs: types and
// shapes exactly, floats within ATOL + RTOL * |expected| (float16 outputs are
// bit patterns, compared by value: the tables write decimals such as 1.4,
// which float16 holds as 1.40039, a relative 2.8e-4 off, inside RTOL),
// integers and booleans exactly. Returns the first mismatch, or undefined
// when all agree.
import type { TensorData } from '../infer/convert.js';
import { halfToFloat } from '../onnx/half.js';
import type { OpTensor } from './table.js';

export const ATOL = 1e-4;
export const RTOL = 1e-3;

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(7);
}

export function firstMismatch(got: TensorData[], want: OpTensor[]): string | undefined {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let o = 0; o < want.length; o++) {
    const g = got[o]!;
    const w = want[o]!;
    if (g.type !== w.type) return `output ${o}: type ${g.type}, expected ${w.type}`;
    if (g.dims.length !== w.dims.length || g.dims.some((d, i) => d !== w.dims[i])) return `output ${o}: dims [${g.dims}], expected [${w.dims}]`;
    const float = w.type === 'float32' || w.type === 'float16';
    for (let i = 0; i < w.data.length; i++) {
      const e = Number(w.data[i]);
      const a = w.type === 'float16' ? halfToFloat(Number(g.data[i]!)) : Number(g.data[i]!);
      const ok = float ? Math.abs(a - e) <= ATOL + RTOL * Math.abs(e) || a === e : a === e;
      if (!ok) return `output ${o} [${i}]: got ${fmt(a)}, expected ${fmt(e)}`;
    }
  }
  return undefined;
}
