// One-node ONNX cases made with the project's writer, run through our model
// store (workspace poisoned) and through onnxruntime-node on the same fresh
// random inputs; outputs compared with shapes exact, ints and bools exact.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, type WriterAttr } from '../../src/onnx/writer.js';
import { fromValues, type DType } from '../../src/onnx/tensor.js';
import type { ModelStore, TensorData } from '../../src/infer/store.js';
import { runOrt } from '../../src/infer/ort.js';

export interface CaseInput {
  dims: number[];
  type?: DType;
  /** Given values become an initializer (constant); otherwise a random graph input. */
  value?: number[];
  /** Random integers in [lo, hi). */
  range?: [number, number];
}

export interface OpCase {
  name: string;
  op: string;
  inputs: (CaseInput | null)[];
  attrs?: Record<string, WriterAttr>;
  /** Output types (default: the type of input 0), one per output. */
  outputs?: DType[];
  opset?: number;
  atol?: number;
  rtol?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'handover-ops-'));
let counter = 0;

export function caseModel(c: OpCase, r: () => number): { file: string; feeds: Record<string, TensorData> } {
  const feeds: Record<string, TensorData> = {};
  const initializers: Record<string, ReturnType<typeof fromValues>> = {};
  const inputs: { name: string; type: DType; dims: number[] }[] = [];
  const seen = new Map<CaseInput, string>(); // the same spec object twice = one tensor read twice
  const names = c.inputs.map((inp, i) => {
    if (!inp) return '';
    if (seen.has(inp)) return seen.get(inp)!;
    const name = `in${i}`;
    seen.set(inp, name);
    const type = inp.type ?? 'float32';
    if (inp.value) {
      initializers[name] = fromValues(type, inp.dims, inp.value);
      return name;
    }
    const n = inp.dims.reduce((a, b) => a * b, 1);
    const [lo, hi] = inp.range ?? (type === 'bool' ? [0, 2] : type === 'float32' ? [-2, 2] : [-5, 6]);
    const vals = Array.from({ length: n }, () => (type === 'float32' ? lo + (hi - lo) * r() : Math.floor(lo + (hi - lo) * r())));
    feeds[name] = {
      type,
      dims: inp.dims,
      data: type === 'float32' ? Float32Array.from(vals) : type === 'int64' ? BigInt64Array.from(vals, (v) => BigInt(v)) : type === 'int32' ? Int32Array.from(vals) : Uint8Array.from(vals),
    };
    inputs.push({ name, type, dims: inp.dims });
    return name;
  });
  while (names.length && names[names.length - 1] === '') names.pop();
  const outTypes = c.outputs ?? [c.inputs[0]?.type ?? 'float32'];
  const outputs = outTypes.map((type, i) => ({ name: `out${i}`, type }));
  const bytes = buildModel({
    nodes: [{ op: c.op, inputs: names, outputs: outputs.map((o) => o.name), attrs: c.attrs }],
    inputs,
    outputs,
    initializers,
    opset: c.opset ?? 17,
  });
  const file = join(dir, `case${counter++}.onnx`);
  writeFileSync(file, bytes);
  return { file, feeds };
}

/** Worst mismatch as a readable string, or '' when the outputs agree. */
export function mismatch(ours: Record<string, TensorData>, ref: Record<string, TensorData>, atol: number, rtol: number): string {
  for (const [k, want] of Object.entries(ref)) {
    const got = ours[k];
    if (!got) return `output ${k} missing`;
    if (got.type !== want.type) return `output ${k}: type ${got.type}, onnxruntime ${want.type}`;
    if (got.dims.join() !== want.dims.join()) return `output ${k}: dims [${got.dims}], onnxruntime [${want.dims}]`;
    const a = Array.from(got.data as ArrayLike<number | bigint>, Number);
    const b = Array.from(want.data as ArrayLike<number | bigint>, Number);
    for (let i = 0; i < b.length; i++) {
      const exact = want.type !== 'float32';
      const bad = exact ? a[i] !== b[i] : !(Math.abs(a[i]! - b[i]!) <= atol + rtol * Math.abs(b[i]!)) && !(Number.isNaN(b[i]!) && Number.isNaN(a[i]!)) && a[i] !== b[i];
      if (bad) return `output ${k}[${i}]: ours ${a[i]}, onnxruntime ${b[i]}`;
    }
  }
  return '';
}

export async function checkCase(store: ModelStore, c: OpCase, r: () => number): Promise<string> {
  const { file, feeds } = caseModel(c, r);
  const ref = await runOrt(file, feeds);
  const name = `case-${counter}`;
  store.register(name, file);
  try {
    const ours = await store.run(name, feeds);
    return mismatch(ours, ref, c.atol ?? 1e-5, c.rtol ?? 1e-4);
  } finally {
    await store.unload(name);
  }
}
