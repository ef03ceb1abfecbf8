// A small GPT with the padded-batching interface of
// scripts/models/export_tiny_gpt_kv.py (GPT_PADDED=1), built in code with the
// ONNX writer (random weights), and its float64 CPU forward: the reference the
// padded generator is checked against.
import { writeFileSync } from 'node:fs';
import { fromValues, type HostTensor } from '../src/onnx/tensor.js';
import { buildModel, type WriterNode } from '../src/onnx/writer.js';
import type { KvShape } from '../src/llm/cache.js';
import { randn } from './helpers/gpu.js';

export interface PaddedGpt {
  shape: KvShape;
  vocab: number;
  positions: number;
  width: number;
  /** Weights by name (float32 values; the reference widens them). */
  w: Record<string, Float32Array>;
}

export function randomPaddedGpt(r: () => number, shape: KvShape, vocab: number, positions: number): PaddedGpt {
  const D = shape.heads * shape.headDim;
  const w: Record<string, Float32Array> = { wte: randn(vocab * D, r, 0.5), wpe: randn(positions * D, r, 0.5), lnf_g: randn(D, r, 0.3).map((v) => 1 + v), lnf_b: randn(D, r, 0.1), head: randn(D * vocab, r, 0.3) };
  for (let l = 0; l < shape.layers; l++) {
    const add = (name: string, n: number, scale: number, one = false) => (w[`${name}${l}`] = randn(n, r, scale).map((v) => (one ? 1 + v : v)));
    add('ln1_g', D, 0.3, true), add('ln1_b', D, 0.1), add('qkv', D * 3 * D, 0.3), add('qkv_b', 3 * D, 0.1), add('proj', D * D, 0.3), add('proj_b', D, 0.1);
    add('ln2_g', D, 0.3, true), add('ln2_b', D, 0.1), add('fc', D * 4 * D, 0.3), add('fc_b', 4 * D, 0.1), add('out', 4 * D * D, 0.15), add('out_b', D, 0.1);
  }
  return { shape, vocab, positions, width: D, w };
}

const DIMS = (g: PaddedGpt): Record<string, number[]> => {
  const D = g.width;
  const dims: Record<string, number[]> = { wte: [g.vocab, D], wpe: [g.positions, D], lnf_g: [D], lnf_b: [D], head: [D, g.vocab] };
  for (let l = 0; l < g.shape.layers; l++) {
    Object.assign(dims, { [`ln1_g${l}`]: [D], [`ln1_b${l}`]: [D], [`qkv${l}`]: [D, 3 * D], [`qkv_b${l}`]: [3 * D], [`proj${l}`]: [D, D], [`proj_b${l}`]: [D] });
    Object.assign(dims, { [`ln2_g${l}`]: [D], [`ln2_b${l}`]: [D], [`fc${l}`]: [D, 4 * D], [`fc_b${l}`]: [4 * D], [`out${l}`]: [4 * D, D], [`out_b${l}`]: [D] });
  }
  return dims;
};

/** Writes the model to `file`: inputs input_ids, position_ids, attn_bias, last_index, past_*; outputs logits [B,1,V] and the new tokens' present_*. */
export function writePaddedGpt(g: PaddedGpt, file: string): void {
  const { heads: H, headDim: hd, layers } = g.shape;
  const D = g.width;
  const dims = DIMS(g);
  const inits: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(g.w)) inits[k] = fromValues('float32', dims[k]!, v);
  const i64 = (name: string, values: number[]) => (inits[name] = fromValues('int64', [values.length], values));
  i64('heads_shape', [0, 0, H, hd]), i64('width_shape', [0, 0, D]), i64('rows_shape', [-1, D]), i64('split', [D, D, D]), i64('axis1', [1]);
  inits.scale = fromValues('float32', [], [1 / Math.sqrt(hd)]);
  inits.half = fromValues('float32', [], [0.5]);
  inits.one = fromValues('float32', [], [1]);
  inits.rsqrt2 = fromValues('float32', [], [Math.SQRT1_2]);
  const nodes: WriterNode[] = [];
  const n = (op: string, inputs: string[], output: string, attrs?: WriterNode['attrs']) => (nodes.push({ op, inputs, outputs: [output], attrs }), output);
  const ln = (x: string, gn: string, bn: string, out: string) => n('LayerNormalization', [x, gn, bn], out, { axis: -1, epsilon: 1e-5 });
  const linear = (x: string, wn: string, bn: string, out: string) => n('Add', [n('MatMul', [x, wn], `${out}_mm`), bn], out);
  let x = n('Add', [n('Gather', ['wte', 'input_ids'], 'te'), n('Gather', ['wpe', 'position_ids'], 'pe')], 'x0');
  const heads = (t: string, out: string) => n('Transpose', [n('Reshape', [t, 'heads_shape'], `${out}_r`)], out, { perm: [0, 2, 1, 3] });
  for (let l = 0; l < layers; l++) {
    const qkv = linear(ln(x, `ln1_g${l}`, `ln1_b${l}`, `h${l}`), `qkv${l}`, `qkv_b${l}`, `qkv_o${l}`);
    nodes.push({ op: 'Split', inputs: [qkv, 'split'], outputs: [`q${l}`, `k${l}`, `v${l}`], attrs: { axis: 2 } });
    const q = heads(`q${l}`, `qh${l}`);
    const k = heads(`k${l}`, `present_k_${l}`);
    const v = heads(`v${l}`, `present_v_${l}`);
    const kc = n('Concat', [`past_k_${l}`, k], `kc${l}`, { axis: 2 });
    const vc = n('Concat', [`past_v_${l}`, v], `vc${l}`, { axis: 2 });
    const kt = n('Transpose', [kc], `kt${l}`, { perm: [0, 1, 3, 2] });
    const sc = n('Add', [n('Mul', [n('MatMul', [q, kt], `s${l}`), 'scale'], `ss${l}`), 'attn_bias'], `sb${l}`);
    const a = n('Softmax', [sc], `a${l}`, { axis: -1 });
    const y = n('Reshape', [n('Transpose', [n('MatMul', [a, vc], `y${l}`)], `yt${l}`, { perm: [0, 2, 1, 3] }), 'width_shape'], `yr${l}`);
    x = n('Add', [x, linear(y, `proj${l}`, `proj_b${l}`, `po${l}`)], `x${l}a`);
    const f = linear(ln(x, `ln2_g${l}`, `ln2_b${l}`, `h2${l}`), `fc${l}`, `fc_b${l}`, `f${l}`);
    const erf = n('Erf', [n('Mul', [f, 'rsqrt2'], `fs${l}`)], `fe${l}`);
    const gelu = n('Mul', [n('Mul', [f, 'half'], `fh${l}`), n('Add', [erf, 'one'], `fe1${l}`)], `g${l}`);
    x = n('Add', [x, linear(gelu, `out${l}`, `out_b${l}`, `mo${l}`)], `x${l}b`);
  }
  const last = n('Unsqueeze', [n('Gather', [n('Reshape', [x, 'rows_shape'], 'rows'), 'last_index'], 'picked', { axis: 0 }), 'axis1'], 'lastx');
  n('MatMul', [ln(last, 'lnf_g', 'lnf_b', 'lnf'), 'head'], 'logits');
  const past = Array.from({ length: layers }, (_, l) => ['k', 'v'].map((kv) => ({ name: `past_${kv}_${l}`, type: 'float32' as const, dims: ['batch', H, 'past', hd] }))).flat();
  writeFileSync(file, buildModel({
    nodes,
    initializers: inits,
    opset: 17,
    inputs: [
      { name: 'input_ids', type: 'int64', dims: ['batch', 'seq'] },
      { name: 'position_ids', type: 'int64', dims: ['batch', 'seq'] },
      { name: 'attn_bias', type: 'float32', dims: ['batch', 1, 'seq', 'total'] },
      { name: 'last_index', type: 'int64', dims: ['batch'] },
      ...past,
    ],
    outputs: [{ name: 'logits', type: 'float32' }, ...Array.from({ length: layers }, (_, l) => ['k', 'v'].map((kv) => ({ name: `present_${kv}_${l}`, type: 'float32' as const }))).flat()],
  }));
}

/** Float64 forward of one whole sequence: the logits of every position [T][vocab]. */
export function referenceLogits(g: PaddedGpt, tokens: number[]): Float64Array[] {
  const { heads: H, headDim: hd, layers } = g.shape;
  const D = g.width;
  const T = tokens.length;
  const w = g.w;
  const linear = (x: Float64Array[], wt: Float32Array, b: Float32Array | null, nIn: number, nOut: number) =>
    x.map((row) => {
      const o = new Float64Array(nOut);
      for (let j = 0; j < nOut; j++) {
        let s = b ? b[j]! : 0;
        for (let i = 0; i < nIn; i++) s += row[i]! * wt[i * nOut + j]!;
        o[j] = s;
      }
      return o;
    });
  const ln = (x: Float64Array[], gm: Float32Array, bt: Float32Array) =>
    x.map((row) => {
      const mean = row.reduce((a, v) => a + v, 0) / D;
      const vr = row.reduce((a, v) => a + (v - mean) ** 2, 0) / D;
      return row.map((v, i) => ((v - mean) / Math.sqrt(vr + 1e-5)) * gm[i]! + bt[i]!);
    });
  let x = tokens.map((t, p) => Float64Array.from({ length: D }, (_, i) => w.wte![t * D + i]! + w.wpe![p * D + i]!));
  for (let l = 0; l < layers; l++) {
    const qkv = linear(ln(x, w[`ln1_g${l}`]!, w[`ln1_b${l}`]!), w[`qkv${l}`]!, w[`qkv_b${l}`]!, D, 3 * D);
    const y = x.map(() => new Float64Array(D));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const sc = Array.from({ length: i + 1 }, (_, j) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += qkv[i]![h * hd + d]! * qkv[j]![D + h * hd + d]!;
          return s / Math.sqrt(hd);
        });
        const m = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) y[i]![h * hd + d]! += (e[j]! / z) * qkv[j]![2 * D + h * hd + d]!;
      }
    }
    const po = linear(y, w[`proj${l}`]!, w[`proj_b${l}`]!, D, D);
    x = x.map((row, i) => row.map((v, k) => v + po[i]![k]!));
    const f = linear(ln(x, w[`ln2_g${l}`]!, w[`ln2_b${l}`]!), w[`fc${l}`]!, w[`fc_b${l}`]!, D, 4 * D);
    const gl = f.map((row) => row.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
    const mo = linear(gl, w[`out${l}`]!, w[`out_b${l}`]!, 4 * D, D);
    x = x.map((row, i) => row.map((v, k) => v + mo[i]![k]!));
  }
  return linear(ln(x, w.lnf_g!, w.lnf_b!), w.head!, null, D, g.vocab);
}

/** erf to ~1e-7 (Abramowitz-Stegun 7.1.26 is too coarse for a float64 reference): its Maclaurin series, then the continued fraction. */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) by Lentz's continued fraction for large a
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (a + f);
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
}
