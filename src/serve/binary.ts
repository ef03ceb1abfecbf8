// The KServe v2 / Triton binary tensor data extension. A request body is a
// JSON header of `Inference-Header-Content-Length` bytes followed by the raw
// data of each input that says `"parameters": {"binary_data_size": n}`, in
// the order of "inputs"; a response does the same for outputs asked for with
// `"binary_data": true` (or `"binary_data_output": true` for all). Raw data is
// row-major, little-endian; BOOL is one byte per element (0 or 1).
import type { TensorData, TensorType } from './engine.js';
import { BadRequestError } from './errors.js';

/** The header name of the extension (lower case, as Node gives headers). */
export const HEADER_LENGTH = 'inference-header-content-length';

/** A body that came with Inference-Header-Content-Length: its JSON header, parsed, and the bytes after it. */
export class BinaryBody {
  constructor(readonly header: unknown, readonly binary: Uint8Array) {}
}

/** Splits a binary-extension body; every malformed length or header is a 400 naming what was wrong. */
export function splitBinaryBody(body: Uint8Array, lengthHeader: string | string[]): BinaryBody {
  if (Array.isArray(lengthHeader)) throw new BadRequestError('Inference-Header-Content-Length given more than once');
  if (!/^\d+$/.test(lengthHeader.trim())) throw new BadRequestError(`Inference-Header-Content-Length must be a byte count, got '${lengthHeader.slice(0, 20)}'`);
  const n = Number(lengthHeader);
  if (n === 0 || n > body.length) throw new BadRequestError(`Inference-Header-Content-Length is ${n} but the body has ${body.length} bytes (the JSON header must come first)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, n)));
  } catch (e) {
    throw new BadRequestError(`the first ${n} bytes (Inference-Header-Content-Length) are not a JSON header: ${(e as Error).message.slice(0, 80)}`);
  }
  return new BinaryBody(header, body.subarray(n));
}

/** Bytes per element in the binary form. */
export const ELEMENT_BYTES: Record<TensorType, number> = { float32: 4, float16: 2, int64: 8, int32: 4, uint32: 4, bool: 1 };

/** Reads the raw bytes of `count` elements; BOOL bytes other than 0 and 1 are refused. */
export function decodeRaw(bytes: Uint8Array, type: TensorType, count: number, input: string): TensorData['data'] {
  const want = count * ELEMENT_BYTES[type];
  if (bytes.length !== want) throw new BadRequestError(`binary_data_size is ${bytes.length} bytes; the shape needs ${count} elements of ${ELEMENT_BYTES[type]} bytes = ${want}`, input);
  const copy = new Uint8Array(bytes).buffer; // a copy: aligned, and the request's buffer is not kept (Buffer.slice would be a view)
  switch (type) {
    case 'float32':
      return new Float32Array(copy);
    case 'int32':
      return new Int32Array(copy);
    case 'uint32':
      return new Uint32Array(copy);
    case 'float16':
      return new Uint16Array(copy); // binary16 bit patterns
    case 'int64':
      return new BigInt64Array(copy);
    case 'bool': {
      const out = new Uint8Array(copy);
      const bad = out.findIndex((b) => b > 1);
      if (bad >= 0) throw new BadRequestError(`BOOL element ${bad} is byte ${out[bad]}; binary BOOL is one byte, 0 or 1`, input);
      return out;
    }
  }
}

/** The raw little-endian bytes of a tensor (a view, no copy). */
export function encodeRaw(t: TensorData): Uint8Array {
  const d = t.data;
  if (t.type === 'bool') return Uint8Array.from(d as Uint8Array, (x) => (x ? 1 : 0));
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Walks the binary part of a body, input by input. */
export class BinaryCursor {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  take(size: unknown, input: string): Uint8Array {
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw new BadRequestError(`binary_data_size must be a byte count, got ${JSON.stringify(size)?.slice(0, 20)}`, input);
    const n = size as number;
    if (this.at + n > this.bytes.length)
      throw new BadRequestError(`binary_data_size ${n} runs past the body: ${this.bytes.length - this.at} bytes of binary data are left`, input);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** After every input: bytes nobody claimed mean the sizes and the body disagree. */
  finish(): void {
    if (this.at !== this.bytes.length)
      throw new BadRequestError(`the body holds ${this.bytes.length - this.at} bytes of binary data after the inputs' binary_data_size (${this.at} bytes) were read`);
  }
}
