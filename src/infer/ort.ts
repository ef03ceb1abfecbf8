// The correctness oracle: onnxruntime-node (a devDependency), loaded lazily.
import { UsageError } from '../core/errors.js';
import { halfToFloat } from '../onnx/half.js';
import type { TensorData } from './convert.js';

interface OrtTensor { type: string; dims: readonly number[]; data: unknown }
interface OrtSession { run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>> }
interface OrtModule {
  InferenceSession: { create(pathOrBytes: string | Uint8Array): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
}

let ort: Promise<OrtModule> | null = null;

export function loadOrt(): Promise<OrtModule> {
  const name = 'onnxruntime-node';
  ort ??= (import(name) as Promise<OrtModule & { default?: OrtModule }>).then(
    (m) => (m.InferenceSession ? m : m.default!),
    () => {
      ort = null;
      throw new UsageError('onnxruntime-node is not installed; it is a devDependency: run `ONNXRUNTIME_NODE_INSTALL=skip npm install` in the package folder');
    },
  );
  return ort;
}

/** Runs a model file (or bytes) in onnxruntime-node on the same inputs. */
export async function runOrt(model: string | Uint8Array, inputs: Record<string, TensorData>): Promise<Record<string, TensorData>> {
  const o = await loadOrt();
  const session = await o.InferenceSession.create(model);
  const feeds: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(inputs)) feeds[k] = new o.Tensor(t.type, t.data, t.dims);
  const res = await session.run(feeds);
  const out: Record<string, TensorData> = {};
  for (const [k, t] of Object.entries(res)) {
    const type = t.type as TensorData['type'];
    out[k] = { type, dims: [...t.dims], data: t.data as TensorData['data'] };
  }
  return out;
}

/** Elements as numbers (float16 bit patterns decoded). */
function valuesOf(t: TensorData): number[] {
  return t.type === 'float16' ? Array.from(t.data as Uint16Array, halfToFloat) : Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** maxAbsErr and relErr = ||ours - ref|| / ||ref|| over all outputs. */
export function compare(ours: Record<string, TensorData>, ref: Record<string, TensorData>): { maxAbsErr: number; relErr: number } {
  let max = 0;
  let diff2 = 0;
  let ref2 = 0;
  for (const [k, r] of Object.entries(ref)) {
    const o = ours[k];
    if (!o) throw new UsageError(`output '${k}' is missing from our results`);
    if (o.dims.join() !== r.dims.join()) throw new UsageError(`output '${k}' has dims [${o.dims}], onnxruntime gives [${r.dims}]`);
    const a = valuesOf(o);
    const b = valuesOf(r);
    for (let i = 0; i < b.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      max = Math.max(max, Number.isNaN(d) ? Infinity : d);
      diff2 += Number.isNaN(d) ? Infinity : d * d;
      ref2 += b[i]! * b[i]!;
    }
  }
  return { maxAbsErr: max, relErr: ref2 === 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2) };
}
