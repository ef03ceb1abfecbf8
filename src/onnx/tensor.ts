// Host tensors: constants of a model (initializers, Constant nodes, folded
// shape subgraphs). Integers (int64, int32, uint32) are held as exact JS
// numbers in a Float64Array; float16 as its values in a Float32Array; bool as
// 0/1 bytes.
import { floatToHalf, halfToFloat } from './half.js';
import { DataType, int64, type TensorMsg } from './schema.js';
import { ModelError } from './errors.js';
import { checkedElements, MAX_HOST_ELEMENTS, MAX_TENSOR_ELEMENTS, quoteList } from './limits.js';

export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint32' | 'bool';

/** float32 or float16 (both held as f32 on the device). */
export function isFloat(t: DType): boolean {
  return t === 'float32' || t === 'float16';
}

export interface HostTensor {
  type: DType;
  dims: number[];
  data: Float32Array | Float64Array | Uint8Array;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function isInt(t: DType): boolean {
  return t === 'int64' || t === 'int32' || t === 'uint32';
}

/** A zeroed host tensor; its size is checked first (SizeLimitError beyond `limit` elements). */
export function alloc(type: DType, dims: number[], limit = MAX_HOST_ELEMENTS, where = HOST): HostTensor {
  const n = checkedElements(dims, limit, where, 'host tensor');
  const data = isFloat(type) ? new Float32Array(n) : type === 'bool' ? new Uint8Array(n) : new Float64Array(n);
  return { type, dims, data };
}

const HOST = { node: '', op: 'host tensor' };

export function fromValues(type: DType, dims: number[], values: ArrayLike<number>): HostTensor {
  const t = alloc(type, dims);
  for (let i = 0; i < t.data.length; i++) t.data[i] = type === 'bool' ? (values[i] ? 1 : 0) : values[i]!;
  return t;
}

export function dtypeOf(code: number, where: { node: string; op: string }): DType {
  switch (code) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
      return 'float32';
    case DataType.INT64:
      return 'int64';
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8:
      return 'int32';
    case DataType.BOOL:
      return 'bool';
    case DataType.UINT32:
      return 'uint32';
    case DataType.FLOAT16:
      return 'float16';
    default:
      throw new ModelError(where.node, where.op, `element type ${code} is not supported (float32, float16, double, int64, int32, uint32, int8, uint8, bool are)`);
  }
}

export function dtypeCode(t: DType): number {
  return { float32: DataType.FLOAT, float16: DataType.FLOAT16, int64: DataType.INT64, int32: DataType.INT32, uint32: DataType.UINT32, bool: DataType.BOOL }[t];
}

const WIDTH: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.INT64]: 8, [DataType.INT32]: 4, [DataType.UINT32]: 4, [DataType.FLOAT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1 };

/**
 * Checks a TensorProto without decoding it: data inside the file, a
 * supported type, dims within limits, and as many values as the dims need.
 */
export function checkTensorData(msg: TensorMsg, where = { node: msg.name ?? '', op: 'initializer' }): { type: DType; dims: number[]; n: number } {
  if (msg.data_location === 1 || (msg.external_data && msg.external_data.length > 0))
    throw new ModelError(where.node, where.op, 'tensor data is stored in an external file; external data is not supported (re-export with all weights inside the .onnx file)');
  const code = msg.data_type ?? 0;
  const type = dtypeOf(code, where);
  const dims = (msg.dims ?? []).map(int64);
  const n = checkedElements(dims, MAX_TENSOR_ELEMENTS, where);
  const raw = msg.raw_data;
  const have = raw && raw.length > 0 ? raw.length / WIDTH[code]! : typedFieldLength(msg, code);
  if (have !== n) throw new ModelError(where.node, where.op, `tensor of dims [${quoteList(dims)}] needs ${n} elements, data holds ${Math.floor(have)}${raw && raw.length > 0 ? ` (${raw.length} bytes of raw_data)` : ''}`);
  return { type, dims, n };
}

/** Decodes a TensorProto (raw_data or typed fields) into a host tensor. */
export function decodeTensor(msg: TensorMsg, where = { node: msg.name ?? '', op: 'initializer' }): HostTensor {
  const { type, dims, n } = checkTensorData(msg, where);
  const code = msg.data_type ?? 0;
  const raw = msg.raw_data;
  const t = alloc(type, dims, MAX_TENSOR_ELEMENTS, where);
  if (raw && raw.length > 0) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      switch (code) {
        case DataType.FLOAT: t.data[i] = dv.getFloat32(i * 4, true); break;
        case DataType.DOUBLE: t.data[i] = dv.getFloat64(i * 8, true); break;
        case DataType.INT64: t.data[i] = Number(dv.getBigInt64(i * 8, true)); break;
        case DataType.INT32: t.data[i] = dv.getInt32(i * 4, true); break;
        case DataType.INT8: t.data[i] = dv.getInt8(i); break;
        case DataType.UINT32: t.data[i] = dv.getUint32(i * 4, true); break;
        case DataType.FLOAT16: t.data[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
        default: t.data[i] = dv.getUint8(i);
      }
    }
    return t;
  }
  const src: ArrayLike<number> =
    code === DataType.FLOAT ? msg.float_data ?? []
    : code === DataType.DOUBLE ? msg.double_data ?? []
    : code === DataType.INT64 ? (msg.int64_data ?? []).map(int64)
    : code === DataType.UINT32 ? (msg.uint64_data ?? []).map(int64)
    : msg.int32_data ?? []; // float16 as bit patterns, as ONNX stores it
  for (let i = 0; i < n; i++) t.data[i] = type === 'bool' ? (src[i] ? 1 : 0) : type === 'float16' ? halfToFloat(src[i]!) : src[i]!;
  return t;
}

function typedFieldLength(msg: TensorMsg, code: number): number {
  const f = code === DataType.FLOAT ? msg.float_data : code === DataType.DOUBLE ? msg.double_data : code === DataType.INT64 ? msg.int64_data : code === DataType.UINT32 ? msg.uint64_data : msg.int32_data;
  return f?.length ?? 0;
}

/** Encodes a host tensor as a TensorProto with raw_data. */
export function encodeTensor(t: HostTensor, name: string): TensorMsg {
  const n = t.data.length;
  const width = t.type === 'int64' ? 8 : t.type === 'bool' ? 1 : t.type === 'float16' ? 2 : 4;
  const raw = new Uint8Array(n * width);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    const v = t.data[i]!;
    if (t.type === 'float32') dv.setFloat32(i * 4, v, true);
    else if (t.type === 'int64') dv.setBigInt64(i * 8, int64Of(v), true);
    else if (t.type === 'int32') dv.setInt32(i * 4, v, true);
    else if (t.type === 'uint32') dv.setUint32(i * 4, v, true);
    else if (t.type === 'float16') dv.setUint16(i * 2, floatToHalf(v), true);
    else dv.setUint8(i, v ? 1 : 0);
  }
  return { name, dims: [...t.dims], data_type: dtypeCode(t.type), raw_data: raw };
}

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

/** A JS number as int64, saturating (9223372036854775807 as a double rounds up to 2^63). */
function int64Of(v: number): bigint {
  const b = BigInt(Math.trunc(v));
  return b > I64_MAX ? I64_MAX : b < I64_MIN ? I64_MIN : b;
}
