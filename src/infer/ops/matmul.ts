// MatMul with numpy semantics: 1-D operands promoted and squeezed, batch dims
// broadcast (up to 4 after merging contiguous dims), one batched kernel.
import { packParams } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import { broadcastDims, stridesOf } from '../../onnx/shape-util.js';
import { alloc } from '../../onnx/tensor.js';
import type { Meta, OpDef } from './types.js';
import { floatInput } from './util.js';

interface Plan { m: number; n: number; k: number; batch: number[]; out: number[]; dims: number[]; sa: number[]; sb: number[] }

function plan(n: OnnxNode, a: Meta, b: Meta): Plan {
  if (a.dims.length === 0 || b.dims.length === 0) throw n.fail('MatMul inputs must have rank >= 1');
  const ad = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
  const bd = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
  const [m, k] = ad.slice(-2) as [number, number];
  const [k2, nn] = bd.slice(-2) as [number, number];
  if (k !== k2) throw n.fail(`inner dimensions differ: A [${a.dims}] and B [${b.dims}] (${k} vs ${k2})`);
  const batch = broadcastDims(n, ad.slice(0, -2), bd.slice(0, -2));
  const out = [...batch];
  if (a.dims.length > 1) out.push(m);
  if (b.dims.length > 1) out.push(nn);
  // Per-batch-dim element strides of A and B (0 where broadcast), then merge.
  const strideOf = (d: number[], mat: number) => {
    const bs = stridesOf(d.slice(0, -2)).map((s) => s * mat);
    const pad = batch.length - (d.length - 2);
    return batch.map((_, i) => (i < pad || d[i - pad] === 1 ? 0 : bs[i - pad]!));
  };
  const sa0 = strideOf(ad, m * k);
  const sb0 = strideOf(bd, k * nn);
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  batch.forEach((d, i) => {
    if (d === 1) return;
    const j = dims.length - 1;
    if (j >= 0 && sa[j] === sa0[i]! * d && sb[j] === sb0[i]! * d) {
      dims[j]! *= d;
      sa[j] = sa0[i]!;
      sb[j] = sb0[i]!;
    } else {
      dims.push(d);
      sa.push(sa0[i]!);
      sb.push(sb0[i]!);
    }
  });
  if (dims.length > 4) throw n.fail(`batch dims [${batch}] need ${dims.length} independent strides; at most 4 are supported`);
  if (batch.reduce((p, q) => p * q, 1) > 65535) throw n.fail(`batch of ${batch.reduce((p, q) => p * q, 1)} matrices exceeds 65535`);
  return { m, n: nn, k, batch, out, dims, sa, sb };
}

export const MatMul: OpDef = {
  kernels: ['batched_matmul'],
  // Input 2 is internal (a fused row bias, see fuse.ts); zeros when absent.
  defaults: (n, ins) => ({ 2: alloc('float32', [ins[1]?.dims[ins[1].dims.length - 1] ?? 1]) }),
  shape(n, ins) {
    const p = plan(n, floatInput(n, ins, 0, 'A'), floatInput(n, ins, 1, 'B'));
    if (ins[2] && ins[2].dims.reduce((a, b) => a * b, 1) !== p.n) throw n.fail(`the fused bias has dims [${ins[2].dims}]; expected ${p.n} entries`);
    return [{ type: 'float32', dims: p.out }];
  },
  emit(n, ins, outs) {
    const p = plan(n, ins[0]!, ins[1]!);
    const count = p.batch.reduce((x, y) => x * y, 1);
    const pad4 = (v: number[], f: number) => [...v, ...Array(4 - v.length).fill(f)];
    const params = packParams([p.m, p.n, p.k, p.dims.length, ...pad4(p.dims, 1), ...pad4(p.sa, 0), ...pad4(p.sb, 0)]);
    return [{ kernel: 'batched_matmul', bindings: [ins[0]!.buf, ins[1]!.buf, ins[2]!.buf, outs[0]!.buf], params, threads: [Math.ceil(p.n / 8), Math.ceil(p.m / 4), count] }];
  },
};
