// The elementwise unary ops: one kernel (shaders/unary.wgsl), an op code each.
import { packParams, type Launch } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import type { OpDef, Tensor } from './types.js';
import { elems, hostInts, req } from './util.js';

interface UnarySpec {
  code: number;
  /** Integer variant (Neg, Abs, Clip on int32/int64). */
  intCode?: number;
  /** Accepts bool (Not). */
  bool?: boolean;
  params?: (n: OnnxNode, ins: (Tensor | undefined)[], opset: number) => [number, number];
}

const F32_MAX = 3.4028234663852886e38;

function clipBounds(n: OnnxNode, ins: (Tensor | undefined)[], opset: number): [number, number] {
  if (opset < 11) return [n.float('min', -F32_MAX), n.float('max', F32_MAX)];
  const lo = hostInts(n, ins[1], 'Clip min (input 1)')?.[0];
  const hi = hostInts(n, ins[2], 'Clip max (input 2)')?.[0];
  const int = ins[0]!.type !== 'float32';
  return [lo ?? (int ? -2147483648 : -F32_MAX), hi ?? (int ? 2147483647 : F32_MAX)];
}

const SPECS: Record<string, UnarySpec> = {
  Relu: { code: 0 },
  LeakyRelu: { code: 1, params: (n) => [n.float('alpha', 0.01), 0] },
  Sigmoid: { code: 2 },
  Tanh: { code: 3 },
  Clip: { code: 4, intCode: 23, params: clipBounds },
  HardSigmoid: { code: 5, params: (n) => [n.float('alpha', 0.2), n.float('beta', 0.5)] },
  HardSwish: { code: 6 },
  Gelu: { code: 7 },
  Erf: { code: 8 },
  Exp: { code: 9 },
  Log: { code: 10 },
  Sqrt: { code: 11 },
  Neg: { code: 12, intCode: 20 },
  Abs: { code: 13, intCode: 21 },
  Reciprocal: { code: 15 },
  Floor: { code: 16 },
  Ceil: { code: 17 },
  Elu: { code: 19, params: (n) => [n.float('alpha', 1), 0] },
  Not: { code: 22, bool: true },
};

function unary(op: string, spec: UnarySpec): OpDef {
  return {
    kernels: ['unary'],
    hostInputs: op === 'Clip' ? [1, 2] : [],
    shape(n, ins) {
      const x = req(n, ins, 0, 'X');
      if (spec.bool ? x.type !== 'bool' : x.type === 'bool' || (x.type !== 'float32' && spec.intCode === undefined))
        throw n.fail(`X has type ${x.type}; ${op} supports ${spec.bool ? 'bool' : spec.intCode !== undefined ? 'float32, int32 and int64' : 'float32'}`);
      return [{ type: x.type, dims: [...x.dims] }];
    },
    emit(n, ins, outs, opset): Launch[] {
      const x = ins[0]!;
      let code = x.type === 'float32' || spec.bool ? spec.code : spec.intCode!;
      if (op === 'Gelu' && n.string('approximate', 'none') === 'tanh') code = 18;
      const [alpha, beta] = spec.params?.(n, ins, opset) ?? [0, 0];
      const count = elems(x);
      return [{ kernel: 'unary', bindings: [x.buf, outs[0]!.buf], params: packParams([count, code, { f32: alpha }, { f32: beta }]), threads: [count] }];
    },
  };
}

export const unaryOps: Record<string, OpDef> = Object.fromEntries(Object.entries(SPECS).map(([k, s]) => [k, unary(k, s)]));
