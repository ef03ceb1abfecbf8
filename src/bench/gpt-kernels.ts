// The GPT training kernels (docs/gpt-kernels.md) at GPT-2-small shape (numbers,
// not tests): milliseconds per launch on one backend, each beside the MLP's
// up-projection GEMM [B*T, C] x [C, 4C] (the `matmul` kernel: cuBLAS on CUDA)
// timed in the same run. Host-timed: R launches between two submits.
//   node dist/src/bench/gpt-kernels.js [--backend cuda|webgpu] [--json out.json] [--tiny (a smoke run)]
import { writeFileSync } from 'node:fs';
import type { GpuDevice, Launch, Range } from '../core/device.js';
import { openDevice } from '../cli/open-device.js';
import { matmul } from '../kernels/matmul.js';
import { attentionBackward, attentionForward } from '../kernels/attention.js';
import { layernormBackward, layernormBackwardParams, layernormForward } from '../kernels/layernorm.js';
import { geluBackward, geluForward } from '../kernels/gelu.js';
import { embeddingBackwardWpe, embeddingBackwardWte, embeddingForward, embeddingIndex } from '../kernels/embedding.js';
import { crossEntropyBackward, crossEntropyForward } from '../kernels/cross-entropy.js';
import { adamw } from '../kernels/adamw.js';
import { fill, f32Bits } from '../kernels/elementwise.js';

const arg = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const backend = arg('--backend') === 'webgpu' ? 'webgpu' : 'cuda';
const [B, T, C, H, V] = process.argv.includes('--tiny') ? [1, 64, 96, 3, 1000] : [4, 1024, 768, 12, 50304];
const N = B * T;
const D = C / H;

async function main(): Promise<void> {
  const d: GpuDevice = await openDevice(backend, () => {});
  const buf = (elems: number, value = 0.01): Range => {
    const bytes = Math.ceil((elems * 4) / 256) * 256;
    const r = { backing: d.createBacking(bytes, 'bench'), offset: 0, bytes };
    d.launch(fill(r, bytes / 4, f32Bits(value)));
    return r;
  };
  // Logits as many rows as one binding holds (WebGPU limits a binding's size).
  const rowsXent = Math.min(N, Math.floor(d.info.limits.maxBindingBytes / (V * 4)));
  const tokens = Uint32Array.from({ length: N }, (_, i) => (i * 7919) % V);
  const idx = embeddingIndex(tokens);
  const upload = (a: Uint32Array): Range => { const r = buf(a.length); d.write({ ...r, bytes: a.byteLength }, a); return r; };
  const [tok, order, segs] = [upload(tokens), upload(idx.order), upload(idx.segments)];
  const [x, y, dy, dx] = [buf(N * C), buf(N * C), buf(N * C), buf(N * C)];
  const [qkv, dqkv, lse, delta] = [buf(N * 3 * C, 0.02), buf(N * 3 * C), buf(B * H * T), buf(B * H * T)];
  const [h4, dh4, dx4, w4] = [buf(N * 4 * C), buf(N * 4 * C), buf(N * 4 * C), buf(C * 4 * C)];
  const [gamma, beta, mean, rstd] = [buf(C, 1), buf(C), buf(N), buf(N)];
  const [wte, wpe, logits, loss, tgt] = [buf(V * C), buf(T * C), buf(rowsXent * V), buf(rowsXent), upload(tokens.subarray(0, rowsXent))];
  const P = Math.min(16 << 20, V * C);
  const [pw, pg, pm, pv, clip] = [buf(P), buf(P), buf(P), buf(P), buf(2, 1)];
  await d.submit();

  const time = async (launches: Launch[], reps: number): Promise<number> => {
    for (const l of launches) d.launch(l);
    await d.submit();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) for (const l of launches) d.launch(l);
    await d.submit();
    return (performance.now() - t0) / reps;
  };
  const gemm = await time([matmul({ a: x, b: w4, c: h4, m: N, n: 4 * C, k: C })], 20);
  const rows: { name: string; ms: number; vsGemm: number }[] = [];
  const row = async (name: string, launches: Launch[], reps = 20) => {
    const ms = await time(launches, reps);
    rows.push({ name, ms, vsGemm: ms / gemm });
    console.log(`${name.padEnd(58)} ${ms.toFixed(3).padStart(9)} ms  ${(ms / gemm).toFixed(2).padStart(6)}x GEMM`);
  };
  console.log(`${d.info.name} (${backend}), B=${B} T=${T} C=${C} H=${H} V=${V}; GEMM ${N}x${4 * C}x${C}: ${gemm.toFixed(3)} ms = ${((2 * N * 4 * C * C) / gemm / 1e9).toFixed(1)} TFLOP/s`);
  const fwd = attentionForward(qkv, y, lse, B, T, H, D);
  const bwd = attentionBackward(qkv, y, dy, lse, dqkv, delta, B, T, H, D);
  await row('attention_forward', [fwd], 5);
  await row('attention_backward (dq + dkv)', bwd, 3);
  await row('attention forward + backward', [fwd, ...bwd], 3);
  // CUDA keeps the first (one thread per row) kernels as attention_*_rows, the
  // baseline: in the kernel table when HANDOVER_ATTENTION_BASELINE=1 at load.
  if (backend === 'cuda' && process.env.HANDOVER_ATTENTION_BASELINE === '1') {
    const rowsKernel = (l: Launch): Launch => ({ ...l, kernel: `${l.kernel}_rows` as Launch['kernel'] });
    await row('attention_forward_rows (baseline)', [rowsKernel(fwd)], 3);
    await row('attention_backward_rows (baseline)', bwd.map(rowsKernel), 2);
  }
  await row('layernorm_forward', [layernormForward(x, gamma, beta, y, mean, rstd, N, C)]);
  await row('layernorm_backward + _params', [layernormBackward(dy, x, gamma, mean, rstd, dx, N, C, true), layernormBackwardParams(dy, x, mean, rstd, gamma, beta, N, C, true)]);
  await row('gelu_forward + gelu_backward [B*T, 4C]', [geluForward(h4, dh4, N * 4 * C), geluBackward(h4, dh4, dx4, N * 4 * C)]);
  await row('embedding_forward + both backwards', [embeddingForward(tok, wte, wpe, x, B, T, C, V), embeddingBackwardWte(dx, tok, order, segs, wte, idx.unique, C, V), embeddingBackwardWpe(dx, wpe, B, T, C)]);
  await row(`cross_entropy forward + backward (${rowsXent} rows x ${V})`, [crossEntropyForward(logits, tgt, loss, lse, rowsXent, V), crossEntropyBackward(logits, tgt, lse, rowsXent, V, 1 / N)], 5);
  await row(`adamw (${P} parameters)`, [adamw(pw, pg, pm, pv, clip, P, { lr: 1e-4, weightDecay: 0.1 }, 1)]);
  const json = arg('--json');
  if (json) writeFileSync(json, JSON.stringify({ device: d.info.name, backend, date: new Date().toISOString(), shape: { B, T, C, H, V }, gemmMs: gemm, rows }, null, 2));
  d.destroy();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
