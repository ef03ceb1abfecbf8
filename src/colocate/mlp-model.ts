// Small inference models the project makes itself: an MLP classifier as an
// ONNX file (Gemm-Relu-...-Gemm-Softmax, seeded random weights), so tests,
// the colocation run and the browser demo need no downloaded model.
import { seeded } from '../train/data.js';
import { buildModel, type WriterNode } from '../onnx/writer.js';
import type { HostTensor } from '../onnx/tensor.js';

export interface MlpModelSpec {
  /** Layer widths, input first, e.g. [64, 512, 512, 10]. */
  sizes: number[];
  seed: number;
  name?: string;
}

/** Encodes the MLP as ONNX bytes (opset 13, dynamic batch dimension). */
export function mlpOnnx(spec: MlpModelSpec): Uint8Array {
  const rand = seeded(spec.seed);
  const nodes: WriterNode[] = [];
  const initializers: Record<string, HostTensor> = {};
  let x = 'input';
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const [inF, outF] = [spec.sizes[l]!, spec.sizes[l + 1]!];
    const bound = 1 / Math.sqrt(inF);
    const w = new Float32Array(inF * outF).map(() => (rand() * 2 - 1) * bound);
    const b = new Float32Array(outF).map(() => (rand() * 2 - 1) * bound);
    initializers[`w${l}`] = { type: 'float32', dims: [outF, inF], data: w };
    initializers[`b${l}`] = { type: 'float32', dims: [outF], data: b };
    const y = `z${l}`;
    nodes.push({ op: 'Gemm', inputs: [x, `w${l}`, `b${l}`], outputs: [y], attrs: { transB: 1 } });
    x = y;
    if (l + 2 < spec.sizes.length) {
      nodes.push({ op: 'Relu', inputs: [y], outputs: [`a${l}`] });
      x = `a${l}`;
    }
  }
  nodes.push({ op: 'Softmax', inputs: [x], outputs: ['output'], attrs: { axis: 1 } });
  return buildModel({
    name: spec.name ?? `mlp-${spec.sizes.join('-')}`,
    opset: 13,
    nodes,
    initializers,
    inputs: [{ name: 'input', type: 'float32', dims: ['batch', spec.sizes[0]!] }],
    outputs: [{ name: 'output', type: 'float32', dims: ['batch', spec.sizes[spec.sizes.length - 1]!] }],
  });
}
