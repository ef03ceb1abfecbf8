// The in-memory form of an ONNX graph: nodes with decoded attributes, lazily
// decoded initializers, and the declared inputs and outputs.
import { ModelError } from './errors.js';
import { decodeTensor, dtypeOf, type DType, type HostTensor } from './tensor.js';
import { checkedElements, MAX_ATTR_ENTRIES, MAX_RANK, MAX_TENSOR_ELEMENTS, quote, SizeLimitError } from './limits.js';
import { AttrType, int64, type AttributeMsg, type TensorMsg, type ValueInfoMsg } from './schema.js';

export type AttrValue = number | string | number[] | string[] | HostTensor;

export interface IoDecl {
  name: string;
  type: DType;
  /** number = fixed; string = symbolic (the batch, or another named dim). */
  dims: (number | string)[];
}

export class OnnxNode {
  constructor(
    readonly name: string,
    readonly op: string,
    readonly domain: string,
    readonly inputs: string[],
    readonly outputs: string[],
    readonly attrs: Map<string, AttrValue>,
  ) {}

  fail(reason: string): ModelError {
    return new ModelError(this.name, this.op, reason);
  }

  int(name: string, dflt?: number): number {
    const v = this.attrs.get(name);
    if (v === undefined) {
      if (dflt === undefined) throw this.fail(`attribute '${name}' is required`);
      return dflt;
    }
    if (typeof v !== 'number') throw this.fail(`attribute '${name}' must be an int`);
    return v;
  }

  float(name: string, dflt: number): number {
    const v = this.attrs.get(name);
    if (v === undefined) return dflt;
    if (typeof v !== 'number') throw this.fail(`attribute '${name}' must be a float`);
    return v;
  }

  ints(name: string, dflt?: number[]): number[] | undefined {
    const v = this.attrs.get(name);
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw this.fail(`attribute '${name}' must be a list of ints`);
    return v as number[];
  }

  string(name: string, dflt: string): string {
    const v = this.attrs.get(name);
    if (v === undefined) return dflt;
    if (typeof v !== 'string') throw this.fail(`attribute '${name}' must be a string`);
    return v;
  }

  tensor(name: string): HostTensor | undefined {
    const v = this.attrs.get(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.fail(`attribute '${name}' must be a tensor`);
    return v;
  }
}

export interface OnnxGraph {
  name: string;
  /** Version of the default ONNX domain. */
  opset: number;
  /** Nodes in a topological order. */
  nodes: OnnxNode[];
  /** Initializers; decoded on first use (decoding is part of the load, not of register). */
  initializers: Map<string, Initializer>;
  inputs: IoDecl[];
  outputs: IoDecl[];
}

/** An initializer whose data is decoded on demand and cached. */
export class Initializer {
  private decoded: HostTensor | null = null;
  constructor(readonly name: string, readonly type: DType, readonly dims: number[], private readonly msg: TensorMsg) {}
  get value(): HostTensor {
    this.decoded ??= decodeTensor(this.msg, { node: this.name, op: 'initializer' });
    return this.decoded;
  }
  get bytes(): number {
    let n = 4;
    for (const d of this.dims) n *= d;
    return n;
  }
  /** Drops the decoded copy (after upload) so host memory stays small. */
  release(): void {
    this.decoded = null;
  }
}

const utf8 = new TextDecoder();

export function decodeAttr(a: AttributeMsg, node: { node: string; op: string }): AttrValue {
  const where = { node: node.node, op: node.op };
  const entries = Math.max(a.floats?.length ?? 0, a.ints?.length ?? 0, a.strings?.length ?? 0);
  if (entries > MAX_ATTR_ENTRIES) throw new SizeLimitError(node.node, node.op, `attribute '${quote(a.name ?? '', 40)}' list`, entries, MAX_ATTR_ENTRIES);
  switch (a.type) {
    case AttrType.FLOAT: return a.f ?? 0;
    case AttrType.INT: return int64(a.i);
    case AttrType.STRING: return utf8.decode(a.s ?? new Uint8Array());
    case AttrType.TENSOR: return decodeTensor(a.t ?? {}, where);
    case AttrType.FLOATS: return [...(a.floats ?? [])];
    case AttrType.INTS: return (a.ints ?? []).map(int64);
    case AttrType.STRINGS: return (a.strings ?? []).map((s) => utf8.decode(s));
    default:
      throw new ModelError(node.node, node.op, `attribute '${quote(a.name ?? '', 40)}' has type ${a.type}, which is not supported (subgraphs and sparse tensors are not)`);
  }
}

export function decodeIo(v: ValueInfoMsg, what: string): IoDecl {
  const name = v.name ?? '';
  const tt = v.type?.tensor_type;
  if (!tt) throw new ModelError(name, what, 'only tensor-typed graph inputs and outputs are supported');
  const type = dtypeOf(tt.elem_type ?? 0, { node: name, op: what });
  const declared = tt.shape?.dim ?? [];
  if (declared.length > MAX_RANK) throw new SizeLimitError(name, what, 'rank', declared.length, MAX_RANK);
  const dims = declared.map((d, i) => (d.dim_param ? d.dim_param : d.dim_value !== undefined && d.dim_value !== null ? int64(d.dim_value) : `d${i}`));
  // Fixed dims must make a tensor the GPU can address (symbolic ones are checked per request).
  checkedElements(dims.map((d) => (typeof d === 'number' ? d : 1)), MAX_TENSOR_ELEMENTS, { node: name, op: what }, what);
  return { name, type, dims };
}
