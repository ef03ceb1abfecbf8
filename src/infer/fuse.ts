// Graph rewrites before planning, so an elementwise op never makes its own
// pass over memory: an activation whose only input is a Conv's output (read
// by nothing else) joins that Conv's epilogue (Relu, and Clip with constant
// bounds), and a constant row bias added to a MatMul's output joins the
// MatMul. The fused nodes carry internal attributes (names starting '__').
import type { OnnxGraph } from '../onnx/graph.js';
import { OnnxNode } from '../onnx/graph.js';
import { cpuOps } from '../onnx/fold.js';

const F32_MAX = 3.4028234663852886e38;

/** Internal attribute names (not ONNX): the fused clamp of a Conv. */
export const FUSED_LO = '__fused_lo';
export const FUSED_HI = '__fused_hi';
/** Internal attribute: a MatMul whose third input is a row bias (a fused Add). */
export const FUSED_BIAS = '__fused_bias';

export function fuseActivations(g: OnnxGraph): OnnxNode[] {
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of g.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
  const constants = new Map<string, number>();
  for (const n of g.nodes) {
    if (n.op !== 'Constant' || n.outputs.length !== 1) continue;
    try {
      const t = cpuOps.Constant!(n, [], g.opset)[0]!;
      if (t.data.length === 1) constants.set(n.outputs[0]!, t.data[0]!);
    } catch {
      /* not a scalar constant: left to the planner to report */
    }
  }
  const scalar = (name: string | undefined): number | undefined => {
    if (!name) return undefined;
    const init = g.initializers.get(name);
    if (init) return init.dims.reduce((a, b) => a * b, 1) === 1 ? init.value.data[0] : undefined;
    return constants.get(name);
  };
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);

  const replaced = new Map<OnnxNode, OnnxNode>();
  const dropped = new Set<OnnxNode>();
  for (const act of g.nodes) {
    let bounds: [number, number] | undefined;
    if (act.op === 'Relu') bounds = [0, F32_MAX];
    else if (act.op === 'Clip') {
      if (g.opset < 11) bounds = [act.float('min', -F32_MAX), act.float('max', F32_MAX)];
      else {
        const lo = act.inputs[1] ? scalar(act.inputs[1]) : -F32_MAX;
        const hi = act.inputs[2] ? scalar(act.inputs[2]) : F32_MAX;
        if (lo !== undefined && hi !== undefined) bounds = [lo, hi];
      }
    }
    const src = act.inputs[0];
    const conv = src ? producer.get(src) : undefined;
    if (!bounds || !conv || conv.op !== 'Conv' || replaced.has(conv) || readers.get(src!) !== 1 || conv.outputs.length !== 1) continue;
    const attrs = new Map(conv.attrs);
    attrs.set(FUSED_LO, bounds[0]);
    attrs.set(FUSED_HI, bounds[1]);
    replaced.set(conv, new OnnxNode(conv.name, conv.op, conv.domain, conv.inputs, [act.outputs[0]!], attrs));
    dropped.add(act);
  }
  // MatMul whose only reader adds a constant row bias (the bias of a PyTorch
  // Linear): the bias joins the MatMul as an internal third input.
  for (const add of g.nodes) {
    if (add.op !== 'Add' || add.inputs.length !== 2) continue;
    for (const side of [0, 1]) {
      const src = add.inputs[side]!;
      const bias = g.initializers.get(add.inputs[1 - side]!);
      const mm = producer.get(src);
      if (!mm || mm.op !== 'MatMul' || replaced.has(mm) || dropped.has(add) || readers.get(src) !== 1 || !bias) continue;
      const w = g.initializers.get(mm.inputs[1]!);
      const n = w?.dims[w.dims.length - 1];
      if (!w || w.dims.length < 2 || bias.type !== 'float32' || bias.dims.length === 0) continue;
      if (bias.dims[bias.dims.length - 1] !== n || bias.dims.slice(0, -1).some((d) => d !== 1)) continue;
      replaced.set(mm, new OnnxNode(mm.name, mm.op, mm.domain, [mm.inputs[0]!, mm.inputs[1]!, add.inputs[1 - side]!], [add.outputs[0]!], new Map([...mm.attrs, [FUSED_BIAS, 1]])));
      dropped.add(add);
    }
  }
  if (replaced.size === 0) return g.nodes;
  return g.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
}
