// Checks run() inputs against the model's declared inputs: names, element
// types, ranks, fixed dims, consistent symbolic dims, data lengths.
import { InputError } from '../onnx/errors.js';
import type { IoDecl } from '../onnx/graph.js';
import type { TensorData } from './convert.js';
import { MAX_RANK, MAX_TENSOR_ELEMENTS, quote, quoteList } from '../onnx/limits.js';

const ARRAY_OF: Record<TensorData['type'], string> = { float32: 'Float32Array', float16: 'Uint16Array', int64: 'BigInt64Array', int32: 'Int32Array', uint32: 'Uint32Array', bool: 'Uint8Array' };

/**
 * Returns the concrete dims of every input (and the values of symbolic dims).
 * `onDevice`: float32 inputs the caller writes on the GPU (src/infer/device-inputs.ts), by name: their dims only.
 */
export function checkInputs(decls: IoDecl[], inputs: Record<string, TensorData>, onDevice: Record<string, number[]> = {}): Map<string, number[]> {
  const known = new Set(decls.map((d) => d.name));
  for (const k of [...Object.keys(inputs), ...Object.keys(onDevice)]) if (!known.has(k)) throw new InputError(quote(k), `the model has no such input (inputs: ${[...known].join(', ')})`);
  for (const k of Object.keys(onDevice)) if (inputs[k]) throw new InputError(quote(k), 'is given both as host data and on the device');
  const symbols = new Map<string, number>();
  const dims = new Map<string, number[]>();
  for (const d of decls) {
    const dev = onDevice[d.name];
    const t = dev ? { type: 'float32' as const, dims: dev, data: new Float32Array(0) } : inputs[d.name];
    if (!t) throw new InputError(d.name, 'is required but was not given');
    if (t.type !== d.type) throw new InputError(d.name, `has type ${t.type}; the model expects ${d.type}`);
    if (!Array.isArray(t.dims) || t.dims.length > MAX_RANK || t.dims.some((x) => !Number.isSafeInteger(x) || x < 0))
      throw new InputError(d.name, `dims must be at most ${MAX_RANK} non-negative integers, got [${Array.isArray(t.dims) ? quoteList(t.dims.map((x) => quote(String(x), 20))) : typeof t.dims}]`);
    if (t.dims.length !== d.dims.length) throw new InputError(d.name, `has rank ${t.dims.length} ([${quoteList(t.dims)}]); the model expects [${d.dims}]`);
    d.dims.forEach((want, i) => {
      const got = t.dims[i]!;
      if (typeof want === 'number') {
        if (want !== got) throw new InputError(d.name, `dim ${i} is ${got}; the model expects ${want} (shape [${d.dims}])`);
      } else {
        const seen = symbols.get(want);
        if (seen !== undefined && seen !== got) throw new InputError(d.name, `dim ${i} ('${want}') is ${got}, but another input gave '${want}' = ${seen}`);
        symbols.set(want, got);
      }
    });
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (n > MAX_TENSOR_ELEMENTS) throw new InputError(d.name, `dims [${quoteList(t.dims)}] make ${n} elements, above the limit of ${MAX_TENSOR_ELEMENTS}`);
    if (dev) {
      dims.set(d.name, [...t.dims]);
      continue;
    }
    const ctor = ARRAY_OF[t.type];
    if (!t.data || t.data.constructor.name !== ctor) throw new InputError(d.name, `data must be a ${ctor} for type ${t.type}`);
    if (t.data.length !== n) throw new InputError(d.name, `holds ${t.data.length} elements; dims [${t.dims}] need ${n}`);
    dims.set(d.name, [...t.dims]);
  }
  return dims;
}
