// A small ONNX writer: build a ModelProto from nodes, initializers, inputs and
// outputs in code, and encode it to bytes (tests, the conformance harness).
import { ModelError } from './errors.js';
import { ModelProto, AttrType, type AttributeMsg, type NodeMsg, type ValueInfoMsg } from './schema.js';
import { dtypeCode, encodeTensor, type DType, type HostTensor } from './tensor.js';

export type WriterAttr = number | string | number[] | string[] | HostTensor | { float: number } | { floats: number[] };

export interface WriterNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, WriterAttr>;
}

export interface WriterIo {
  name: string;
  type: DType;
  /** Omitted: the shape is left unspecified (fine for outputs). */
  dims?: (number | string)[];
}

export interface WriterModel {
  nodes: WriterNode[];
  inputs: WriterIo[];
  outputs: WriterIo[];
  initializers?: Record<string, HostTensor>;
  opset?: number;
  name?: string;
}

const utf8 = new TextEncoder();

/** Integers stay INT/INTS; a non-integer number is FLOAT; {float} / {floats} force floats. */
function attr(name: string, v: WriterAttr): AttributeMsg {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AttrType.INT, i: v } : { name, type: AttrType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: utf8.encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: AttrType.STRINGS, strings: (v as string[]).map((s) => utf8.encode(s)) };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? { name, type: AttrType.INTS, ints: nums } : { name, type: AttrType.FLOATS, floats: nums };
  }
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: v.floats };
  return { name, type: AttrType.TENSOR, t: encodeTensor(v, name) };
}

function io(v: WriterIo): ValueInfoMsg {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: dtypeCode(v.type),
        ...(v.dims ? { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}),
      },
    },
  };
}

export function buildModel(m: WriterModel): Uint8Array {
  const nodes: NodeMsg[] = m.nodes.map((n, i) => ({
    name: n.name ?? `${n.op}_${i}`,
    op_type: n.op,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
  }));
  const msg = {
    ir_version: 8,
    producer_name: 'handover',
    opset_import: [{ domain: '', version: m.opset ?? 17 }],
    graph: {
      name: m.name ?? 'graph',
      node: nodes,
      initializer: Object.entries(m.initializers ?? {}).map(([k, t]) => encodeTensor(t, k)),
      input: m.inputs.map(io),
      output: m.outputs.map(io),
    },
  };
  const err = ModelProto.verify(msg);
  if (err) throw new ModelError('', '', `buildModel: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}
