// Per-op GPU time of one inference (`handover infer --profile`): on WebGPU
// with the timestamp-query feature every launch runs in its own pass between
// two GPU timestamps; elsewhere each step is submitted alone and timed on the
// host from issue to completion (includes the submit's round trip).
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { WebGpuDevice } from '../devices/webgpu/device.js';
import type { ModelStore, TensorData } from './store.js';

export interface StepTime {
  index: number;
  /** The ONNX op (fused ops keep the producer's op). */
  op: string;
  /** The node's name. */
  name: string;
  /** Kernels it launched, in order. */
  kernels: string[];
  ms: number;
}

export interface Profile {
  how: 'gpu timestamps' | 'submit per step';
  steps: StepTime[];
  totalMs: number;
  /** GPU time per kernel (the variant that ran), with its launch count; timestamps only. */
  byKernel?: { kernel: string; ms: number; launches: number }[];
}

/** One eager run of `model` on `inputs`, timed per step (`how` forces a method; default: timestamps where available). */
export async function profileRun(store: ModelStore, dev: GpuDevice, model: string, inputs: Record<string, TensorData>, how?: Profile['how']): Promise<Profile> {
  const steps: StepTime[] = [];
  const stamps = dev instanceof WebGpuDevice && dev.features.timestamps;
  if (how === 'gpu timestamps' && !stamps) throw new UsageError(`profile: the ${dev.info.backend} device '${dev.info.name}' has no GPU timestamp queries`);
  if (stamps && how !== 'submit per step') {
    dev.beginProfile();
    let times;
    try {
      await store.run(model, inputs, { hook: (index, step, issue) => {
        dev.profileLabel = String(index);
        steps.push({ index, op: step.node.op, name: step.node.name, kernels: [], ms: 0 });
        issue();
      } });
    } finally {
      times = await dev.endProfile();
    }
    const byIndex = new Map(steps.map((s) => [String(s.index), s]));
    const kernels = new Map<string, { kernel: string; ms: number; launches: number }>();
    for (const t of times) {
      const s = byIndex.get(t.label);
      if (!s) continue; // a launch outside the steps (the poison fill)
      s.kernels.push(t.kernel);
      s.ms += t.ms;
      const k = kernels.get(t.kernel) ?? { kernel: t.kernel, ms: 0, launches: 0 };
      k.ms += t.ms;
      k.launches++;
      kernels.set(t.kernel, k);
    }
    const byKernel = [...kernels.values()].sort((a, b) => b.ms - a.ms);
    return { how: 'gpu timestamps', steps, totalMs: steps.reduce((a, s) => a + s.ms, 0), byKernel };
  }
  await store.run(model, inputs, { hook: async (index, step, issue) => {
    await dev.submit();
    const t0 = dev.now();
    issue();
    await dev.submit();
    steps.push({ index, op: step.node.op, name: step.node.name, kernels: [], ms: dev.now() - t0 });
  } });
  return { how: 'submit per step', steps, totalMs: steps.reduce((a, s) => a + s.ms, 0) };
}

/** The `top` slowest steps, and time per op type, as printable lines. */
export function profileLines(p: Profile, top = 10): string[] {
  const lines = [`profile (${p.how}): ${p.steps.length} steps, ${p.totalMs.toFixed(3)} ms in total`];
  const byOp = new Map<string, { ms: number; n: number }>();
  for (const s of p.steps) {
    const o = byOp.get(s.op) ?? { ms: 0, n: 0 };
    o.ms += s.ms;
    o.n++;
    byOp.set(s.op, o);
  }
  const pct = (ms: number) => (p.totalMs > 0 ? (100 * ms) / p.totalMs : 0).toFixed(1);
  lines.push('by op:');
  for (const [op, o] of [...byOp].sort((a, b) => b[1].ms - a[1].ms))
    lines.push(`  ${op.padEnd(22)} ${o.ms.toFixed(3).padStart(9)} ms ${pct(o.ms).padStart(5)}%  (${o.n} steps)`);
  if (p.byKernel) {
    lines.push('by kernel:');
    for (const k of p.byKernel) lines.push(`  ${k.kernel.padEnd(22)} ${k.ms.toFixed(3).padStart(9)} ms ${pct(k.ms).padStart(5)}%  (${k.launches} launches)`);
  }
  lines.push(`slowest ${Math.min(top, p.steps.length)} steps:`);
  for (const s of [...p.steps].sort((a, b) => b.ms - a.ms).slice(0, top))
    lines.push(`  #${String(s.index).padEnd(4)} ${s.op.padEnd(12)} ${s.ms.toFixed(3).padStart(9)} ms ${pct(s.ms).padStart(5)}%  ${s.name}${s.kernels.length ? ` [${s.kernels.join(', ')}]` : ''}`);
  return lines;
}
