// The elementwise unary ops: four kernels by cost class (unary: cheap ALU ops,
// unary_math: transcendentals, erf: Erf and Gelu, unary_int: i32 and bool),
// an op code each.
import { packParams, type KernelName, type Launch } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { isFloat } from '../../onnx/tensor.js';
import type { OpDef, Tensor } from './types.js';
import { elems, hostInts, req } from './util.js';

interface UnarySpec {
  kernel: 'unary' | 'unary_math' | 'erf';
  code: number;
  /** Integer variant (Neg, Abs, Clip on int32/int64) in unary_int. */
  intCode?: number;
  /** Accepts bool only (Not, in unary_int). */
  bool?: boolean;
  params?: (n: OnnxNode, ins: (Tensor | undefined)[], opset: number) => [number, number];
}

const F32_MAX = 3.4028234663852886e38;

function clipBounds(n: OnnxNode, ins: (Tensor | undefined)[], opset: number): [number, number] {
  if (opset < 11) return [n.float('min', -F32_MAX), n.float('max', F32_MAX)];
  const lo = hostInts(n, ins[1], 'Clip min (input 1)')?.[0];
  const hi = hostInts(n, ins[2], 'Clip max (input 2)')?.[0];
  const int = !isFloat(ins[0]!.type);
  return [lo ?? (int ? -2147483648 : -F32_MAX), hi ?? (int ? 2147483647 : F32_MAX)];
}

const SPECS: Record<string, UnarySpec> = {
  Relu: { kernel: 'unary', code: 0 },
  LeakyRelu: { kernel: 'unary', code: 1, params: (n) => [n.float('alpha', 0.01), 0] },
  Clip: { kernel: 'unary', code: 2, intCode: 2, params: clipBounds },
  HardSigmoid: { kernel: 'unary', code: 3, params: (n) => [n.float('alpha', 0.2), n.float('beta', 0.5)] },
  HardSwish: { kernel: 'unary', code: 4 },
  Neg: { kernel: 'unary', code: 5, intCode: 0 },
  Abs: { kernel: 'unary', code: 6, intCode: 1 },
  Reciprocal: { kernel: 'unary', code: 7 },
  Floor: { kernel: 'unary', code: 8 },
  Ceil: { kernel: 'unary', code: 9 },
  Sigmoid: { kernel: 'unary_math', code: 0 },
  Tanh: { kernel: 'unary_math', code: 1 },
  Exp: { kernel: 'unary_math', code: 2 },
  Log: { kernel: 'unary_math', code: 3 },
  Sqrt: { kernel: 'unary_math', code: 4 },
  Elu: { kernel: 'unary_math', code: 5, params: (n) => [n.float('alpha', 1), 0] },
  Erf: { kernel: 'erf', code: 0 },
  Gelu: { kernel: 'erf', code: 1 },
  Not: { kernel: 'unary', code: 3, bool: true },
};

function unary(op: string, spec: UnarySpec): OpDef {
  return {
    kernels: [spec.kernel, 'unary_int'],
    hostInputs: op === 'Clip' ? [1, 2] : [],
    shape(n, ins) {
      const x = req(n, ins, 0, 'X');
      if (spec.bool ? x.type !== 'bool' : x.type === 'bool' || x.type === 'uint32' || (!isFloat(x.type) && spec.intCode === undefined))
        throw n.fail(`X has type ${x.type}; ${op} supports ${spec.bool ? 'bool' : spec.intCode !== undefined ? 'float32, float16, int32 and int64' : 'float32 and float16'}`);
      return [{ type: x.type, dims: [...x.dims] }];
    },
    emit(n, ins, outs, opset): Launch[] {
      const x = ins[0]!;
      const onInts = !isFloat(x.type);
      let kernel: KernelName = onInts ? 'unary_int' : spec.kernel;
      let code = onInts ? (spec.bool ? 3 : spec.intCode!) : spec.code;
      if (op === 'Gelu' && n.string('approximate', 'none') === 'tanh') [kernel, code] = ['unary_math', 6];
      const [alpha, beta] = spec.params?.(n, ins, opset) ?? [0, 0];
      const count = elems(x);
      return [{ kernel, bindings: [x.buf, outs[0]!.buf], params: packParams([count, code, { f32: alpha }, { f32: beta }]), threads: [count] }];
    },
  };
}

export const unaryOps: Record<string, OpDef> = Object.fromEntries(Object.entries(SPECS).map(([k, s]) => [k, unary(k, s)]));
