// One operator test case as a one-node ONNX model, built with the project's
// writer: the case's tensors become graph inputs, except those the op reads
// on the host at load time (shapes, pads, repeats), which become initializers
// as in an exported model. Types the engine lacks are UnsupportedTestError.
import { buildModel, type WriterAttr } from '../onnx/writer.js';
import { fromValues, type DType, type HostTensor } from '../onnx/tensor.js';
import type { TensorData } from '../infer/convert.js';
import { floatToHalf } from '../onnx/half.js';
import { gpuOps } from '../infer/ops/index.js';
import { cpuOps } from '../onnx/fold.js';
import { UnsupportedTestError } from './errors.js';
import type { OpAttribute, OpCase, OpTensor, OpTest } from './table.js';

/** Opset of tests that name none: the writer's default (the tables target recent opsets: Clip with inputs, Pow on int32). */
export const DEFAULT_OPSET = 17;

const ENGINE_TYPES: readonly string[] = ['float32', 'float16', 'int32', 'uint32', 'int64', 'bool'];

export interface CaseModel {
  /** Same key, same model: cases of a test that differ only in data share one. */
  key: string;
  bytes: Uint8Array;
  feeds: Record<string, TensorData>;
  outputNames: string[];
}

/** Why a whole test cannot run, before any case is tried; undefined when it may. */
export function testUnsupported(t: OpTest): string | undefined {
  const domain = t.opset?.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') return `domain '${domain}' is not supported (only the default ONNX domain; ${domain.startsWith('com.ms.internal') ? 'it is ONNX Runtime-internal' : 'a vendor domain'})`;
  if (!(t.operator in gpuOps) && !(t.operator in cpuOps)) return `op ${t.operator} has no kernel in this engine`;
  for (const a of t.attributes) if (!['int', 'ints', 'float', 'floats', 'string', 'strings'].includes(a.type)) return `attribute '${a.name}' of type ${a.type} is not supported`;
  return undefined;
}

export function opsetOf(t: OpTest): number {
  return t.opset?.version ?? DEFAULT_OPSET;
}

function attrValue(a: OpAttribute): WriterAttr {
  const nums = (v: unknown) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new UnsupportedTestError(`attribute '${a.name}' is not a list of numbers`);
    return v as number[];
  };
  switch (a.type) {
    case 'int':
      if (!Number.isInteger(a.data)) throw new UnsupportedTestError(`attribute '${a.name}' is not an int`);
      return a.data as number;
    case 'float':
      if (typeof a.data !== 'number') throw new UnsupportedTestError(`attribute '${a.name}' is not a float`);
      return { float: a.data };
    case 'ints':
      return nums(a.data);
    case 'floats':
      return { floats: nums(a.data) };
    case 'string':
      return String(a.data);
    default:
      if (!Array.isArray(a.data)) throw new UnsupportedTestError(`attribute '${a.name}' is not a list of strings`);
      return (a.data as unknown[]).map(String);
  }
}

function engineType(t: OpTensor, what: string): DType {
  if (!ENGINE_TYPES.includes(t.type)) throw new UnsupportedTestError(`${t.type} not supported (${what}; the engine has ${ENGINE_TYPES.join(', ')})`);
  return t.type as DType;
}

function numbers(t: OpTensor): number[] {
  return t.data.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
}

function feed(type: DType, t: OpTensor): TensorData {
  const v = numbers(t);
  const dims = [...t.dims];
  switch (type) {
    case 'float32':
      return { type, dims, data: Float32Array.from(v) };
    case 'float16':
      return { type, dims, data: Uint16Array.from(v, floatToHalf) };
    case 'int32':
      return { type, dims, data: Int32Array.from(v) };
    case 'uint32':
      return { type, dims, data: Uint32Array.from(v) };
    case 'int64':
      return { type, dims, data: BigInt64Array.from(v, (x) => BigInt(Math.trunc(x))) };
    case 'bool':
      return { type, dims, data: Uint8Array.from(v, (x) => (x ? 1 : 0)) };
  }
}

export function caseModel(t: OpTest, c: OpCase): CaseModel {
  const host = new Set(gpuOps[t.operator]?.hostInputs ?? []);
  const inputs: { name: string; type: DType; dims: number[] }[] = [];
  const initializers: Record<string, HostTensor> = {};
  const feeds: Record<string, TensorData> = {};
  const names = c.inputs.map((x, i) => {
    const name = `input_${i}`;
    const type = engineType(x, `input ${i}`);
    if (host.has(i)) initializers[name] = fromValues(type, [...x.dims], numbers(x));
    else {
      inputs.push({ name, type, dims: [...x.dims] });
      feeds[name] = feed(type, x);
    }
    return name;
  });
  const outputs = c.outputs.map((y, i) => ({ name: `output_${i}`, type: engineType(y, `output ${i}`), dims: [...y.dims] }));
  const attrs = Object.fromEntries(t.attributes.map((a) => [a.name, attrValue(a)]));
  const bytes = buildModel({
    nodes: [{ op: t.operator, inputs: names, outputs: outputs.map((o) => o.name), attrs }],
    inputs, outputs, initializers, opset: opsetOf(t), name: t.id,
  });
  const key = JSON.stringify([inputs, outputs, Object.values(initializers).map((h) => Array.from(h.data))]);
  return { key, bytes, feeds, outputNames: outputs.map((o) => o.name) };
}
