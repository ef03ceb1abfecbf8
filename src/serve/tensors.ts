// Conversion between KServe v2 JSON tensors and the engine's TensorData.
// Every check happens here, before the engine sees a request: a request that
// could be answered wrongly (wrong batch, lossy number, short data) is refused.
import type { IoSpec, ModelInfo, TensorData, TensorType } from './engine.js';
import { BadRequestError, EngineOutputError } from './errors.js';
import { floatToHalf, halfToFloat } from '../onnx/half.js';
import { BinaryBody, BinaryCursor, decodeRaw, encodeRaw } from './binary.js';

export type V2Datatype = 'FP32' | 'FP16' | 'INT64' | 'INT32' | 'UINT32' | 'BOOL';

export const V2_DATATYPE: Record<TensorType, V2Datatype> = { float32: 'FP32', float16: 'FP16', int64: 'INT64', int32: 'INT32', uint32: 'UINT32', bool: 'BOOL' };
const TENSOR_TYPE: Record<string, TensorType> = { FP32: 'float32', FP16: 'float16', INT64: 'int64', INT32: 'int32', UINT32: 'uint32', BOOL: 'bool' };
/** Datatypes of the v2 protocol this server does not serve: named so the message can say so. */
const OTHER_V2 = new Set(['UINT8', 'UINT16', 'UINT64', 'INT8', 'INT16', 'BF16', 'FP64', 'BYTES']);
const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT16_MAX = 65504;

export interface V2TensorMetadata {
  name: string;
  datatype: V2Datatype;
  /** -1 for a dimension the client chooses (batch). */
  shape: number[];
}

export function tensorMetadata(spec: IoSpec): V2TensorMetadata {
  return { name: spec.name, datatype: V2_DATATYPE[spec.type], shape: spec.dims.map((d) => (isFixed(d) ? d : -1)) };
}

/** An infer request, checked against the model and converted for the engine. */
export interface InferCall {
  id?: string;
  inputs: Record<string, TensorData>;
  /** Output names to return, in order. */
  outputs: string[];
  /** Outputs to return as binary data after the JSON header (binary tensor extension). */
  binaryOutputs: Set<string>;
  /** Triton's "timeout" request parameter: the request's deadline in microseconds. */
  timeoutUs?: number;
}

/**
 * A v2 infer request: a JSON object, or a BinaryBody (JSON header + raw
 * input bytes) when it came with Inference-Header-Content-Length.
 */
export function parseInferRequest(request: unknown, model: ModelInfo): InferCall {
  const cursor = request instanceof BinaryBody ? new BinaryCursor(request.binary) : null;
  const body = request instanceof BinaryBody ? request.header : request;
  if (!isObject(body)) throw new BadRequestError('request body must be a JSON object with an "inputs" array');
  const id = body.id;
  if (id !== undefined && typeof id !== 'string') throw new BadRequestError('"id" must be a string');
  let allBinary = false;
  let timeoutUs: number | undefined;
  if (body.parameters !== undefined) {
    if (!isObject(body.parameters)) throw new BadRequestError('"parameters" must be an object');
    const b = body.parameters.binary_data_output;
    if (b !== undefined && typeof b !== 'boolean') throw new BadRequestError('"binary_data_output" must be true or false');
    allBinary = b === true;
    const t = body.parameters.timeout;
    if (t !== undefined && !(Number.isSafeInteger(t) && (t as number) > 0)) throw new BadRequestError('"timeout" must be a positive integer of microseconds');
    timeoutUs = t as number | undefined;
  }
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) throw new BadRequestError('"inputs" must be a non-empty array');

  const symbols = new Map<string, { value: number; input: string }>();
  const inputs: Record<string, TensorData> = {};
  for (const raw of body.inputs) {
    if (!isObject(raw) || typeof raw.name !== 'string') throw new BadRequestError('each entry of "inputs" must be an object with a string "name"');
    const name = raw.name;
    if (Object.hasOwn(inputs, name)) throw new BadRequestError('given more than once', name);
    const spec = model.inputs.find((s) => s.name === name);
    if (!spec) throw new BadRequestError(`model '${model.name}' has no input '${name}' (inputs: ${names(model.inputs)})`);
    inputs[name] = parseTensor(raw, spec, symbols, cursor);
  }
  cursor?.finish();
  const missing = model.inputs.filter((s) => !Object.hasOwn(inputs, s.name));
  if (missing.length > 0) throw new BadRequestError(`missing input ${names(missing)} (model '${model.name}' needs ${names(model.inputs)})`);
  return { id, inputs, timeoutUs, ...parseRequestedOutputs(body.outputs, model, allBinary) };
}

function parseTensor(raw: Record<string, unknown>, spec: IoSpec, symbols: Map<string, { value: number; input: string }>, cursor: BinaryCursor | null): TensorData {
  const name = spec.name;
  if (raw.parameters !== undefined && !isObject(raw.parameters)) throw new BadRequestError('"parameters" must be an object', name);
  const size = isObject(raw.parameters) ? raw.parameters.binary_data_size : undefined;
  const type = parseDatatype(raw.datatype, name);
  if (type !== spec.type) throw new BadRequestError(`datatype ${String(raw.datatype)} does not match the model's ${V2_DATATYPE[spec.type]}`, name);
  const dims = parseShape(raw.shape, spec, symbols);
  if (size !== undefined) {
    if (!cursor) throw new BadRequestError('binary_data_size given, but the request has no Inference-Header-Content-Length header (no binary part)', name);
    if (raw.data !== undefined) throw new BadRequestError('give either "data" or binary_data_size, not both', name);
    return { type, dims, data: decodeRaw(cursor.take(size, name), type, dims.reduce((a, b) => a * b, 1), name) };
  }
  if (!Array.isArray(raw.data)) throw new BadRequestError('"data" must be an array (flat, or nested like the shape)', name);
  const leaves: unknown[] = [];
  collectLeaves(raw.data, dims, 0, leaves, name);
  const count = dims.reduce((a, b) => a * b, 1);
  if (leaves.length !== count) throw new BadRequestError(`shape [${dims}] needs ${count} values, "data" has ${leaves.length}`, name);
  return { type, dims, data: convert(leaves, type, name) };
}

function parseDatatype(v: unknown, input: string): TensorType {
  if (typeof v !== 'string') throw new BadRequestError('"datatype" must be a string such as FP32', input);
  const t = TENSOR_TYPE[v];
  if (t) return t;
  if (OTHER_V2.has(v)) throw new BadRequestError(`datatype ${v} is not served (served: FP32, FP16, INT64, INT32, UINT32, BOOL)`, input);
  throw new BadRequestError(`unknown datatype '${v}' (served: FP32, FP16, INT64, INT32, UINT32, BOOL)`, input);
}

/** Checks a shape against the model's dims; a symbolic dim takes one value across all inputs. */
function parseShape(v: unknown, spec: IoSpec, symbols: Map<string, { value: number; input: string }>): number[] {
  const name = spec.name;
  const want = `[${spec.dims.map((d) => (isFixed(d) ? d : typeof d === 'string' ? d : '?'))}]`;
  if (!Array.isArray(v)) throw new BadRequestError(`"shape" must be an array of dimensions like ${want}`, name);
  if (v.length !== spec.dims.length) throw new BadRequestError(`shape [${v}] has rank ${v.length}; the model expects ${want}`, name);
  return v.map((d, i) => {
    if (!Number.isSafeInteger(d) || (d as number) < 1) throw new BadRequestError(`shape [${v}]: dimension ${i} must be a positive integer`, name);
    const size = d as number;
    const m = spec.dims[i]!;
    if (isFixed(m) && size !== m) throw new BadRequestError(`shape [${v}] does not match the model's ${want} at dimension ${i}`, name);
    if (typeof m === 'string') {
      const bound = symbols.get(m);
      if (bound && bound.value !== size)
        throw new BadRequestError(`dimension '${m}' is ${size} here but ${bound.value} in input '${bound.input}'`, name);
      symbols.set(m, { value: size, input: name });
    }
    return size;
  });
}

/**
 * Flattens "data": a flat array, or arrays nested along the leading
 * dimensions of the shape whose innermost level holds the rest, row-major.
 */
function collectLeaves(a: unknown[], dims: number[], dim: number, out: unknown[], input: string): void {
  const nested = a.length > 0 && Array.isArray(a[0]);
  if (!nested) {
    for (const x of a) {
      if (Array.isArray(x)) throw new BadRequestError(`"data" mixes arrays and values at depth ${dim}`, input);
      out.push(x);
    }
    if (dim > 0) {
      const want = dims.slice(dim).reduce((p, q) => p * q, 1);
      if (a.length !== want) throw new BadRequestError(`"data" at depth ${dim} has ${a.length} values; shape [${dims}] needs ${want}`, input);
    }
    return;
  }
  if (dim >= dims.length - 1) throw new BadRequestError(`"data" is nested deeper than shape [${dims}]`, input);
  if (a.length !== dims[dim]) throw new BadRequestError(`"data" has ${a.length} entries at depth ${dim}; shape [${dims}] needs ${dims[dim]}`, input);
  for (const x of a) {
    if (!Array.isArray(x)) throw new BadRequestError(`"data" mixes arrays and values at depth ${dim}`, input);
    collectLeaves(x, dims, dim + 1, out, input);
  }
}

function convert(leaves: unknown[], type: TensorType, input: string): TensorData['data'] {
  const n = leaves.length;
  const bad = (i: number, what: string) => new BadRequestError(`data[${i}] = ${JSON.stringify(leaves[i])} is not ${what}`, input);
  const integers = <T extends Int32Array | Uint32Array>(out: T, lo: number, hi: number, what: string): T => {
    for (let i = 0; i < n; i++) {
      const x = leaves[i];
      if (!Number.isInteger(x) || (x as number) < lo || (x as number) > hi) throw bad(i, what);
      out[i] = x as number;
    }
    return out;
  };
  switch (type) {
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const x = leaves[i];
        if (typeof x !== 'number' || !(Math.abs(x) <= FLOAT32_MAX)) throw bad(i, 'a number in float32 range');
        out[i] = x;
      }
      return out;
    }
    case 'int32':
      return integers(new Int32Array(n), -2147483648, 2147483647, 'an int32');
    case 'uint32':
      return integers(new Uint32Array(n), 0, 0xffffffff, 'a uint32');
    case 'float16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const x = leaves[i];
        if (typeof x !== 'number' || !(Math.abs(x) <= FLOAT16_MAX)) throw bad(i, 'a number in float16 range');
        out[i] = floatToHalf(x);
      }
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const x = leaves[i];
        if (!Number.isSafeInteger(x)) throw bad(i, 'an integer within +-(2^53 - 1)');
        out[i] = BigInt(x as number);
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const x = leaves[i];
        if (typeof x !== 'boolean') throw bad(i, 'true or false');
        out[i] = x ? 1 : 0;
      }
      return out;
    }
  }
}

function parseRequestedOutputs(v: unknown, model: ModelInfo, allBinary: boolean): { outputs: string[]; binaryOutputs: Set<string> } {
  const all = model.outputs.map((s) => s.name);
  if (v === undefined) return { outputs: all, binaryOutputs: new Set(allBinary ? all : []) };
  if (!Array.isArray(v)) throw new BadRequestError('"outputs" must be an array of {"name": ...}');
  const out: string[] = [];
  const binary = new Set<string>();
  for (const o of v) {
    if (!isObject(o) || typeof o.name !== 'string') throw new BadRequestError('each entry of "outputs" must be an object with a string "name"');
    if (!model.outputs.some((s) => s.name === o.name))
      throw new BadRequestError(`model '${model.name}' has no output '${o.name}' (outputs: ${names(model.outputs)})`);
    if (out.includes(o.name)) throw new BadRequestError(`output '${o.name}' requested more than once`);
    const b = isObject(o.parameters) ? o.parameters.binary_data : undefined;
    if (b !== undefined && typeof b !== 'boolean') throw new BadRequestError(`output '${o.name}': "binary_data" must be true or false`);
    if (b ?? allBinary) binary.add(o.name);
    out.push(o.name);
  }
  return { outputs: out, binaryOutputs: binary };
}

/**
 * The response body, written by hand so every value is exact: int64 as
 * integer literals (even beyond 2^53), float32 as the shortest decimal that
 * reads back to the same float; NaN and infinities as the strings "NaN",
 * "Infinity", "-Infinity" since JSON has no literal for them.
 */
export function encodeInferResponse(model: ModelInfo, call: InferCall, result: Record<string, TensorData>): InferResponse {
  const binary: Uint8Array[] = [];
  const parts = call.outputs.map((name) => encodeTensor(model, name, result[name], call.binaryOutputs.has(name) ? binary : null));
  const id = call.id === undefined ? '' : `,"id":${JSON.stringify(call.id)}`;
  return { json: `{"model_name":${JSON.stringify(model.name)},"model_version":"1"${id},"outputs":[${parts.join(',')}]}`, binary };
}

/** The response: its JSON (the whole body, or the header before the binary outputs' bytes). */
export interface InferResponse {
  json: string;
  binary: Uint8Array[];
}

function encodeTensor(model: ModelInfo, name: string, t: TensorData | undefined, binary: Uint8Array[] | null): string {
  if (!t) throw new EngineOutputError(model.name, name, 'the engine returned no such output');
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) throw new EngineOutputError(model.name, name, `dims [${t.dims}] need ${count} values, got ${t.data.length}`);
  const datatype = V2_DATATYPE[t.type];
  if (!datatype) throw new EngineOutputError(model.name, name, `unknown tensor type '${String(t.type)}'`);
  const head = `{"name":${JSON.stringify(name)},"datatype":"${datatype}","shape":[${t.dims.join(',')}]`;
  if (binary) {
    const raw = encodeRaw(t);
    binary.push(raw);
    return `${head},"parameters":{"binary_data_size":${raw.length}}}`;
  }
  const values = new Array<string>(count);
  const d = t.data;
  if (t.type === 'float32') for (let i = 0; i < count; i++) values[i] = floatText(d[i] as number);
  else if (t.type === 'float16') for (let i = 0; i < count; i++) values[i] = floatText(halfToFloat(d[i] as number));
  else if (t.type === 'bool') for (let i = 0; i < count; i++) values[i] = d[i] ? 'true' : 'false';
  else for (let i = 0; i < count; i++) values[i] = String(d[i]);
  return `${head},"data":[${values.join(',')}]}`;
}

function floatText(x: number): string {
  if (Object.is(x, -0)) return '-0'; // JSON.stringify would drop the sign; '-0' is valid JSON and parses back to -0
  if (Number.isFinite(x)) return JSON.stringify(x);
  return Number.isNaN(x) ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
}

function isFixed(d: number | string): d is number {
  return typeof d === 'number' && d > 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function names(specs: IoSpec[]): string {
  return specs.map((s) => `'${s.name}'`).join(', ');
}
