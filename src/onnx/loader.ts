// ONNX model loading: protobuf decode, structural validation, topological order.
// Everything wrong with a file becomes a ModelError naming node, op and reason.
import { ModelError } from './errors.js';
import { OnnxNode, Initializer, decodeAttr, decodeIo, type AttrValue, type OnnxGraph } from './graph.js';
import { checkTensorData } from './tensor.js';
import { MAX_OPSET } from './limits.js';
import { ModelProto, int64, type ModelMsg, type NodeMsg } from './schema.js';

export function parseModel(bytes: Uint8Array, file = 'model'): OnnxGraph {
  let msg: ModelMsg;
  try {
    msg = ModelProto.decode(bytes) as unknown as ModelMsg;
  } catch (e) {
    throw new ModelError('', '', `${file} is not a valid ONNX protobuf (${e instanceof Error ? e.message : String(e)}); the file may be truncated or not an .onnx model`);
  }
  const g = msg.graph;
  if (!g || !g.node || g.node.length === 0) throw new ModelError('', '', `${file} holds no graph with nodes (truncated or not an .onnx model)`);
  const opset = defaultOpset(msg, file);

  const initializers = new Map<string, Initializer>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? '';
    // Checked now (external data, type, dims, data length); decoded when the weights are uploaded.
    const { type, dims } = checkTensorData(t, { node: name, op: 'initializer' });
    initializers.set(name, new Initializer(name, type, dims, t));
  }
  const inputs = (g.input ?? []).map((v) => decodeIo(v, 'graph input')).filter((io) => !initializers.has(io.name));
  const outputs = (g.output ?? []).map((v) => decodeIo(v, 'graph output'));

  const nodes = g.node.map((n, i) => toNode(n, i));
  const sorted = topoSort(nodes, new Set([...initializers.keys(), ...inputs.map((i) => i.name)]));
  const produced = new Set<string>([...initializers.keys(), ...inputs.map((i) => i.name)]);
  for (const n of sorted) for (const o of n.outputs) if (o) produced.add(o);
  for (const o of outputs) if (!produced.has(o.name)) throw new ModelError(o.name, 'graph output', 'no node, input or initializer produces this graph output');
  return { name: g.name ?? file, opset, nodes: sorted, initializers, inputs, outputs };
}

function defaultOpset(msg: ModelMsg, file: string): number {
  const imp = (msg.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!imp) throw new ModelError('', '', `${file} imports no default-domain opset`);
  const v = int64(imp.version);
  if (v < 7) throw new ModelError('', '', `${file} uses opset ${v}; opset 7 or newer is supported`);
  if (v > MAX_OPSET) throw new ModelError('', '', `${file} uses opset ${v}; this build knows opsets up to ${MAX_OPSET}`);
  return v;
}

function toNode(n: NodeMsg, i: number): OnnxNode {
  const op = n.op_type ?? '';
  const name = n.name || `${op || 'node'}_${i}${n.output?.[0] ? `(${n.output[0]})` : ''}`;
  if (!op) throw new ModelError(name, '', 'node has no op_type');
  const attrs = new Map<string, AttrValue>();
  for (const a of n.attribute ?? []) attrs.set(a.name ?? '', decodeAttr(a, { node: name, op }));
  return new OnnxNode(name, op, n.domain ?? '', [...(n.input ?? [])], [...(n.output ?? [])], attrs);
}

/** Kahn's algorithm; names a node of a cycle and a missing input when there is one. */
export function topoSort(nodes: OnnxNode[], available: Set<string>): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes)
    for (const o of n.outputs) {
      if (!o) continue;
      if (producer.has(o) || available.has(o)) throw n.fail(`output '${o}' is produced more than once`);
      producer.set(o, n);
    }
  for (const n of nodes)
    for (const i of n.inputs)
      if (i && !producer.has(i) && !available.has(i))
        throw n.fail(`input '${i}' is not produced by any node and is neither a graph input nor an initializer (missing initializer?)`);
  // Linear in nodes + edges: users are appended in place and the ready list is
  // read through a cursor (a fan-out of 60,000 readers of one value is common
  // enough in generated graphs, and hostile files make it larger).
  const pending = new Map<OnnxNode, number>();
  const users = new Map<string, OnnxNode[]>();
  for (const n of nodes) {
    let deps = 0;
    for (const i of n.inputs.length > 1 ? new Set(n.inputs) : n.inputs) {
      if (i && producer.has(i)) {
        deps++;
        const list = users.get(i);
        if (list) list.push(n);
        else users.set(i, [n]);
      }
    }
    pending.set(n, deps);
  }
  const out = nodes.filter((n) => pending.get(n) === 0);
  for (let head = 0; head < out.length; head++) {
    for (const o of out[head]!.outputs)
      for (const u of users.get(o) ?? []) {
        const left = pending.get(u)! - 1;
        pending.set(u, left);
        if (left === 0) out.push(u);
      }
  }
  if (out.length < nodes.length) {
    const stuck = nodes.find((n) => pending.get(n)! > 0)!;
    throw stuck.fail(`the graph has a cycle through this node (${nodes.length - out.length} nodes are on or behind a cycle)`);
  }
  return out;
}
