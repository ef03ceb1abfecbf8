// Pad (constant, reflect, edge) with pads as input 1 (opset 11+) or an
// attribute, an optional constant value and (opset 18) optional axes.
import { packParams } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { normAxis } from '../../onnx/shape-util.js';
import type { Meta, OpDef } from './types.js';
import { elems, hostInts, MAX_RANK, pad8, rankAtMost, req } from './util.js';

function padsOf(n: OnnxNode, ins: (Meta | undefined)[], opset: number): { begin: number[]; end: number[] } {
  const x = req(n, ins, 0, 'data');
  const r = x.dims.length;
  const raw = opset >= 11 ? hostInts(n, req(n, ins, 1, 'pads'), 'pads (input 1)')! : n.ints('pads') ?? [];
  const axes = (hostInts(n, ins[3], 'axes (input 3)') ?? x.dims.map((_, i) => i)).map((a) => normAxis(n, a, r));
  if (raw.length !== 2 * axes.length) throw n.fail(`pads has ${raw.length} entries; expected ${2 * axes.length}`);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  axes.forEach((a, i) => { begin[a] = raw[i]!; end[a] = raw[i + axes.length]!; });
  if (begin.some((v) => v < 0) || end.some((v) => v < 0)) throw n.fail(`negative pads [${raw}] (cropping) are not supported`);
  return { begin, end };
}

const MODES: Record<string, number> = { constant: 0, reflect: 1, edge: 2 };

export const Pad: OpDef = {
  kernels: ['pad'],
  hostInputs: [1, 2, 3],
  shape(n, ins, opset) {
    const x = req(n, ins, 0, 'data');
    rankAtMost(n, x, MAX_RANK);
    const mode = n.string('mode', 'constant');
    if (MODES[mode] === undefined) throw n.fail(`mode '${mode}' is not one of constant, reflect, edge`);
    const { begin, end } = padsOf(n, ins, opset);
    const dims = x.dims.map((d, i) => d + begin[i]! + end[i]!);
    if (mode !== 'constant' && x.dims.some((d, i) => d === 0 && dims[i]! > 0)) throw n.fail(`${mode} padding of an empty axis`);
    return [{ type: x.type, dims }];
  },
  emit(n, ins, outs, opset) {
    const x = ins[0]!;
    const y = outs[0]!;
    const { begin } = padsOf(n, ins, opset);
    const v = opset >= 11 ? ins[2]?.value?.data[0] ?? 0 : n.float('value', 0);
    const bits = x.type === 'float32' ? new Uint32Array(new Float32Array([v]).buffer)[0]! : (v | 0) >>> 0;
    const words = [elems(y), x.dims.length, MODES[n.string('mode', 'constant')]!, bits, ...pad8(y.dims), ...pad8(x.dims), ...pad8(begin, 0).map((b) => ({ i32: b }))];
    return [{ kernel: 'pad', bindings: [x.buf, y.buf], params: packParams(words), threads: [elems(y)] }];
  },
};
