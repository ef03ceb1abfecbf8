// Static planning of one graph for concrete input dims: shapes of every value,
// CPU folding of shape-only subgraphs, and a place for every GPU tensor in one
// inference workspace (slots reused once their last reader has run).
import { ModelError } from '../onnx/errors.js';
import { checkedElements, MAX_TENSOR_ELEMENTS, SizeLimitError } from '../onnx/limits.js';
import { cpuOps, type CpuOp } from '../onnx/fold.js';
import { OnnxNode, type Initializer, type OnnxGraph } from '../onnx/graph.js';
import { sizeOf, type DType, type HostTensor } from '../onnx/tensor.js';
import { gpuOps, type Meta, type OpDef } from './ops/index.js';
import { fuseActivations } from './fuse.js';
import { copyDef } from './ops/copy.js';

/** Folding on the host is for shape-sized data; bigger constant work runs on the GPU. */
const FOLD_LIMIT = 1 << 16;
/** Constants this small are handed to shape() with their values. */
const SMALL = 64;
export const ALIGN = 256;

export type Location = { kind: 'weight'; name: string } | { kind: 'slot'; slot: number };

export interface PlanValue {
  type: DType;
  dims: number[];
  /** Known on the host: folded or a Constant. */
  host?: HostTensor;
  init?: Initializer;
  /** Where it lives on the GPU, once something needs it there. */
  loc?: Location;
}

export interface Step {
  node: OnnxNode;
  def: OpDef;
  ins: (string | undefined)[];
  outs: string[];
  /** Initializers of the weight pool first needed by this step. */
  weights: string[];
}

export interface Slot {
  bytes: number;
  offset: number;
  birth: number;
  lastUse: number;
}

export interface Plan {
  key: string;
  opset: number;
  values: Map<string, PlanValue>;
  steps: Step[];
  slots: Slot[];
  workspaceBytes: number;
  /** Host constants written into their slot at the start of every run. */
  constants: { slot: number; tensor: HostTensor; name: string }[];
  inputs: { name: string; slot: number; type: DType; dims: number[] }[];
  outputs: string[];
  /** Initializers the GPU needs, in order of first use (for the weight pool). */
  weightOrder: string[];
  kernels: Set<string>;
}

export function deviceBytes(dims: readonly number[]): number {
  return Math.max(4, sizeOf(dims) * 4);
}

export function alignUp(n: number, a = ALIGN): number {
  return Math.ceil(n / a) * a;
}

/**
 * Plans `g` for inputs of the given dims. `pool` names the initializers the
 * weight pool holds; others that the GPU needs are written into the workspace.
 * Without `pool`, every initializer the GPU needs is assumed to be in it.
 */
export function planGraph(g: OnnxGraph, inputDims: Map<string, number[]>, pool?: Set<string>): Plan {
  const values = new Map<string, PlanValue>();
  const slots: Slot[] = [];
  const constants: Plan['constants'] = [];
  const weightOrder: string[] = [];
  const steps: Step[] = [];
  const kernels = new Set<string>();
  const newSlot = (dims: number[], birth: number) => slots.push({ bytes: alignUp(deviceBytes(dims)), offset: -1, birth, lastUse: birth }) - 1;

  const inputs = g.inputs.map((io) => {
    const dims = inputDims.get(io.name);
    if (!dims) throw new ModelError(io.name, 'graph input', 'no dims given for this input');
    const slot = newSlot(dims, -1);
    values.set(io.name, { type: io.type, dims, loc: { kind: 'slot', slot } });
    return { name: io.name, slot, type: io.type, dims };
  });

  const lookup = (name: string): PlanValue | undefined => {
    if (!name) return undefined;
    let v = values.get(name);
    if (!v) {
      const init = g.initializers.get(name);
      if (!init) return undefined;
      v = { type: init.type, dims: init.dims, init };
      values.set(name, v);
    }
    return v;
  };
  const hostValue = (v: PlanValue): HostTensor | undefined => v.host ?? v.init?.value;

  fuseActivations(g).forEach((n) => {
    if (n.domain && n.domain !== 'ai.onnx') throw n.fail(`domain '${n.domain}' is not supported (only the default ONNX domain)`);
    const ins = n.inputs.map((name) => {
      const v = lookup(name);
      if (name && !v) throw n.fail(`input '${name}' is not available (missing initializer or producer)`);
      return v;
    });
    const isConst = (v: PlanValue | undefined) => !v || v.host !== undefined || v.init !== undefined;
    const cpu = cpuOps[n.op] as CpuOp | undefined;
    const shapeOnly = n.op === 'Shape' || n.op === 'Size';
    const inElems = ins.reduce((a, v) => a + (v ? sizeOf(v.dims) : 0), 0);
    const folded = cpu && (shapeOnly || (ins.every(isConst) && inElems <= FOLD_LIMIT))
      ? hostFold(n, cpu, ins.map((v) => (!v ? undefined : shapeOnly ? { type: v.type, dims: v.dims, data: new Float32Array(0) } : hostValue(v)!)), g.opset)
      : undefined;
    if (folded) {
      const outs = folded;
      n.outputs.forEach((o, i) => {
        if (!o) return;
        const t = outs[i];
        if (!t) throw n.fail(`output ${i} is not produced by the host evaluation`);
        values.set(o, { type: t.type, dims: t.dims, host: t });
      });
      return;
    }
    const def = gpuOps[n.op] as OpDef | undefined;
    if (!def) {
      if (cpu) throw n.fail(`${n.op} is only supported when all its inputs are known at load time (constants or shapes)`);
      throw n.fail(`op '${n.op}' is not supported`);
    }
    const hostIdx = new Set(def.hostInputs ?? []);
    const metas: (Meta | undefined)[] = ins.map((v, i) => {
      if (!v) return undefined;
      const m: Meta = { type: v.type, dims: v.dims };
      if (hostIdx.has(i) || (isConst(v) && sizeOf(v.dims) <= SMALL) || v.host) m.value = hostValue(v);
      if (hostIdx.has(i) && !m.value) throw n.fail(`input ${i} ('${n.inputs[i]}') must be known at load time (a constant or computed from shapes)`);
      return m;
    });
    const outs = def.shape(n, metas, g.opset);
    for (const m of outs) checkedElements(m.dims, MAX_TENSOR_ELEMENTS, { node: n.name, op: n.op }, 'output');
    const stepIns = n.inputs.map((s) => s || undefined);
    for (const [k, t] of Object.entries(def.defaults?.(n, metas) ?? {})) {
      const i = Number(k);
      if (ins[i]) continue;
      const name = `${n.name}::default${i}`;
      const v: PlanValue = { type: t.type, dims: t.dims, host: t };
      values.set(name, v);
      ins[i] = v;
      stepIns[i] = name;
    }
    const weights: string[] = [];
    ins.forEach((v, i) => {
      if (!v || hostIdx.has(i) || v.loc) return;
      const name = stepIns[i]!;
      if (v.init && (!pool || pool.has(name))) {
        v.loc = { kind: 'weight', name };
        weightOrder.push(name);
        weights.push(name);
      } else {
        const t = hostValue(v)!;
        checkIntRange(n, t, name);
        const slot = newSlot(v.dims, -1);
        slots[slot]!.lastUse = Infinity;
        constants.push({ slot, tensor: t, name });
        v.loc = { kind: 'slot', slot };
      }
    });
    // WebGPU refuses one range bound twice as read_write in a launch (Mul(x, x),
    // Add(x, Reshape(x)), a shared initializer): bind a copy instead.
    const seen = new Set<string>();
    ins.forEach((v, i) => {
      if (!v?.loc || hostIdx.has(i)) return;
      const key = v.loc.kind === 'slot' ? `slot${v.loc.slot}` : `weight:${v.loc.name}`;
      if (!seen.has(key)) return void seen.add(key);
      const name = `${n.name}::copy${i}`;
      const copy: PlanValue = { type: v.type, dims: v.dims, loc: { kind: 'slot', slot: newSlot(v.dims, steps.length) } };
      if (v.loc.kind === 'slot') slots[v.loc.slot]!.lastUse = Math.max(slots[v.loc.slot]!.lastUse, steps.length);
      values.set(name, copy);
      steps.push({ node: new OnnxNode(name, 'Copy', '', [stepIns[i]!], [name], new Map()), def: copyDef, ins: [stepIns[i]], outs: [name], weights: [] });
      kernels.add('strided_copy');
      ins[i] = copy;
      stepIns[i] = name;
    });
    const stepIndex = steps.length;
    n.outputs.forEach((o, i) => {
      if (!o) return;
      const m = outs[i];
      if (!m) throw n.fail(`output ${i} ('${o}') is not produced by this implementation`);
      const loc: Location = def.alias ? ins[0]!.loc! : { kind: 'slot', slot: newSlot(m.dims, stepIndex) };
      values.set(o, { type: m.type, dims: m.dims, loc });
    });
    ins.forEach((v, i) => {
      if (v && !hostIdx.has(i) && v.loc?.kind === 'slot') slots[v.loc.slot]!.lastUse = Math.max(slots[v.loc.slot]!.lastUse, stepIndex);
    });
    def.kernels.forEach((k) => kernels.add(k));
    steps.push({ node: n, def, ins: stepIns, outs: n.outputs, weights });
  });

  for (const o of g.outputs) {
    const v = values.get(o.name) ?? lookup(o.name);
    if (!v) throw new ModelError(o.name, 'graph output', 'not produced by the graph');
    if (v.loc?.kind === 'slot') slots[v.loc.slot]!.lastUse = Infinity;
  }
  const workspaceBytes = assignOffsets(slots, steps.length);
  const key = [...inputDims].map(([k, d]) => `${k}:${d.join('x')}`).join(',');
  return { key, opset: g.opset, values, steps, slots, workspaceBytes, constants, inputs, outputs: g.outputs.map((o) => o.name), weightOrder, kernels };
}

/** The node evaluated on the host; undefined when its result is too large there and the GPU has the op. */
function hostFold(n: OnnxNode, cpu: CpuOp, ins: (HostTensor | undefined)[], opset: number): HostTensor[] | undefined {
  try {
    return cpu(n, ins, opset);
  } catch (e) {
    if (e instanceof SizeLimitError && gpuOps[n.op]) return undefined;
    throw e;
  }
}

function checkIntRange(n: OnnxNode, t: HostTensor, name: string): void {
  if (t.type !== 'int64') return;
  for (const v of t.data) if (v > 2147483647 || v < -2147483648)
    throw n.fail(`int64 constant '${name}' holds ${v}, outside the int32 range the GPU uses for int64 tensors`);
}

/** First-fit placement in birth order; a slot is free again after its last reader's step. */
function assignOffsets(slots: Slot[], stepCount: number): number {
  const free: { offset: number; bytes: number }[] = [];
  let top = 0;
  const take = (s: Slot) => {
    const i = free.findIndex((f) => f.bytes >= s.bytes);
    if (i >= 0) {
      const f = free[i]!;
      s.offset = f.offset;
      f.offset += s.bytes;
      f.bytes -= s.bytes;
      if (f.bytes === 0) free.splice(i, 1);
    } else {
      s.offset = top;
      top += s.bytes;
    }
  };
  const give = (s: Slot) => {
    free.push({ offset: s.offset, bytes: s.bytes });
    free.sort((a, b) => a.offset - b.offset);
    for (let i = 0; i + 1 < free.length; ) {
      if (free[i]!.offset + free[i]!.bytes === free[i + 1]!.offset) {
        free[i]!.bytes += free[i + 1]!.bytes;
        free.splice(i + 1, 1);
      } else i++;
    }
  };
  const byBirth = new Map<number, Slot[]>();
  const byEnd = new Map<number, Slot[]>();
  for (const s of slots) {
    byBirth.set(s.birth, [...(byBirth.get(s.birth) ?? []), s]);
    if (Number.isFinite(s.lastUse)) byEnd.set(s.lastUse, [...(byEnd.get(s.lastUse) ?? []), s]);
  }
  for (let i = -1; i < stepCount; i++) {
    for (const s of byBirth.get(i) ?? []) take(s);
    for (const s of byEnd.get(i) ?? []) give(s);
  }
  return Math.max(ALIGN, top);
}
