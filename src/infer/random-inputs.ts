// Random inputs for a model: floats in [-1, 1), integers in the range of the
// embedding table they index (found through Gather nodes), else [0, 16).
import { floatToHalf } from '../onnx/half.js';
import type { OnnxGraph } from '../onnx/graph.js';
import type { TensorData } from './convert.js';

export function intRange(g: OnnxGraph, input: string): number {
  for (const n of g.nodes) {
    if (n.op !== 'Gather' || n.inputs[1] !== input) continue;
    const data = g.initializers.get(n.inputs[0]!);
    if (data) return data.dims[n.int('axis', 0) < 0 ? n.int('axis', 0) + data.dims.length : n.int('axis', 0)]!;
  }
  return 16;
}

export function randomInputs(g: OnnxGraph, symbols: (name: string) => number, rand: () => number): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const io of g.inputs) {
    const dims = io.dims.map((d) => (typeof d === 'number' ? d : symbols(d)));
    const n = dims.reduce((a, b) => a * b, 1);
    switch (io.type) {
      case 'float32':
        out[io.name] = { type: io.type, dims, data: Float32Array.from({ length: n }, () => rand() * 2 - 1) };
        break;
      case 'int64': {
        const hi = intRange(g, io.name);
        out[io.name] = { type: io.type, dims, data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * hi))) };
        break;
      }
      case 'int32': {
        const hi = intRange(g, io.name);
        out[io.name] = { type: io.type, dims, data: Int32Array.from({ length: n }, () => Math.floor(rand() * hi)) };
        break;
      }
      case 'float16':
        out[io.name] = { type: io.type, dims, data: Uint16Array.from({ length: n }, () => floatToHalf(rand() * 2 - 1)) };
        break;
      case 'uint32': {
        const hi = intRange(g, io.name);
        out[io.name] = { type: io.type, dims, data: Uint32Array.from({ length: n }, () => Math.floor(rand() * hi)) };
        break;
      }
      case 'bool':
        out[io.name] = { type: io.type, dims, data: Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)) };
        break;
    }
  }
  return out;
}
