// Host <-> device element conversion. The device holds every element in 4
// bytes: f32 (float16 too: widened at the input, rounded back to float16 at
// the output), i32 (int64 narrowed with a range check), u32 (uint32), u32 0/1
// for bool. float16 data outside the engine are IEEE binary16 bit patterns in a
// Uint16Array, as ONNX Runtime holds them.
import { floatToHalf, halfToFloat } from '../onnx/half.js';
import { InputError } from '../onnx/errors.js';
import { ModelError } from '../onnx/errors.js';
import type { DType, HostTensor } from '../onnx/tensor.js';

export type TensorType = DType;

export interface TensorData {
  type: TensorType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;
}

/** A host constant as device words. */
export function toDeviceWords(t: HostTensor, name: string): Float32Array | Int32Array | Uint32Array {
  const n = Math.max(1, t.data.length);
  if (t.type === 'float32' || t.type === 'float16') {
    const out = new Float32Array(n);
    out.set(t.data as Float32Array);
    return out;
  }
  if (t.type === 'uint32') return Uint32Array.from(t.data.length ? t.data : [0]);
  if (t.type === 'bool') {
    const out = new Uint32Array(n);
    for (let i = 0; i < t.data.length; i++) out[i] = t.data[i] ? 1 : 0;
    return out;
  }
  const out = new Int32Array(n);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    if (v > 2147483647 || v < -2147483648) throw new ModelError(name, 'initializer', `int64 value ${v} is outside the int32 range the GPU uses for int64 tensors`);
    out[i] = v;
  }
  return out;
}

/** `d` copied into a new array of at least one element (a zero-size tensor still binds a word). */
function padded<T extends Float32Array | Int32Array | Uint32Array>(C: new (n: number) => T, d: ArrayLike<number>, n: number): T {
  // Already device words of the right length: the write copies them (a decoder's past is tens of MB a run).
  if (d instanceof C && d.length === n) return d;
  const out = new C(n);
  out.set(d);
  return out;
}

/** A user input as device words, checking int64 values fit in int32. */
export function inputWords(name: string, t: TensorData): Float32Array | Int32Array | Uint32Array {
  const n = Math.max(1, t.data.length);
  switch (t.type) {
    case 'float32':
      return padded(Float32Array, t.data as Float32Array, n);
    case 'int32':
      return padded(Int32Array, t.data as Int32Array, n);
    case 'uint32':
      return padded(Uint32Array, t.data as Uint32Array, n);
    case 'float16': {
      const out = new Float32Array(n);
      const d = t.data as Uint16Array;
      for (let i = 0; i < d.length; i++) out[i] = halfToFloat(d[i]!);
      return out;
    }
    case 'bool': {
      const out = new Uint32Array(n);
      const d = t.data as Uint8Array;
      for (let i = 0; i < d.length; i++) out[i] = d[i] ? 1 : 0;
      return out;
    }
    case 'int64': {
      const out = new Int32Array(n);
      const d = t.data as BigInt64Array;
      for (let i = 0; i < d.length; i++) {
        const v = d[i]!;
        if (v > 2147483647n || v < -2147483648n) throw new InputError(name, `int64 value ${v} at index ${i} is outside the supported int32 range`);
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Device words read back into the tensor type the model declares. */
export function fromDeviceBytes(type: TensorType, dims: number[], bytes: Uint8Array): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 4);
  switch (type) {
    case 'float32':
      return { type, dims, data: new Float32Array(buf) };
    case 'int32':
      return { type, dims, data: new Int32Array(buf) };
    case 'uint32':
      return { type, dims, data: new Uint32Array(buf) };
    case 'float16':
      return { type, dims, data: Uint16Array.from(new Float32Array(buf), floatToHalf) };
    case 'int64':
      return { type, dims, data: BigInt64Array.from(new Int32Array(buf), (v) => BigInt(v)) };
    case 'bool':
      // anything but 0/1 (an unwritten, poisoned word) reads as 255 so checks catch it
      return { type, dims, data: Uint8Array.from(new Uint32Array(buf), (v) => (v === 0 ? 0 : v === 1 ? 1 : 255)) };
  }
}

/** A host constant (folded output) as user-facing data. */
export function fromHost(t: HostTensor): TensorData {
  switch (t.type) {
    case 'float32':
      return { type: t.type, dims: [...t.dims], data: Float32Array.from(t.data) };
    case 'int32':
      return { type: t.type, dims: [...t.dims], data: Int32Array.from(t.data) };
    case 'uint32':
      return { type: t.type, dims: [...t.dims], data: Uint32Array.from(t.data) };
    case 'float16':
      return { type: t.type, dims: [...t.dims], data: Uint16Array.from(t.data, floatToHalf) };
    case 'int64':
      return { type: t.type, dims: [...t.dims], data: BigInt64Array.from(t.data as Float64Array, (v) => BigInt(v)) };
    case 'bool':
      return { type: t.type, dims: [...t.dims], data: Uint8Array.from(t.data) };
  }
}
