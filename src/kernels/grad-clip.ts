// Global-norm gradient clipping without a host round trip (docs/gpt-kernels.md):
// grad_sumsq per tensor into its own partial slots, grad_clip_scale into
// clip = [norm, coef], then adamw (or grad_scale) multiplies by coef.
import { packParams, type Launch } from '../core/device.js';
import { KernelShapeError, positive, type Buf } from './shape.js';

/** The most partial sums one tensor writes. */
export const GRAD_SUMSQ_GROUPS = 64;

/** Partial-sum slots a tensor of n elements takes. */
export function clipSlots(n: number): number {
  return Math.min(GRAD_SUMSQ_GROUPS, Math.ceil(n / 256));
}

export interface ClipPlan {
  /** First slot of each tensor, in the order of the sizes given. */
  slots: number[];
  /** Partial-sum slots in all (the partials buffer holds this many f32). */
  total: number;
}

/** Gives every gradient tensor (by element count) its own run of slots. */
export function planClip(sizes: readonly number[]): ClipPlan {
  const slots: number[] = [];
  let total = 0;
  for (const n of sizes) {
    positive('grad_sumsq', { n });
    slots.push(total);
    total += clipSlots(n);
  }
  return { slots, total };
}

/** partials[slot .. slot + clipSlots(n)) = partial sums of g^2 over g [n]. */
export function gradSumsq(g: Buf, partials: Buf, n: number, slot: number): Launch {
  positive('grad_sumsq', { n });
  const groups = clipSlots(n);
  return { kernel: 'grad_sumsq', bindings: [g, partials], params: packParams([n, slot, groups]), threads: [groups * 256] };
}

/** clip [2] = [norm, min(1, maxNorm / (norm + 1e-6))] over `count` partials; maxNorm Infinity: coef 1. */
export function gradClipScale(partials: Buf, clip: Buf, count: number, maxNorm: number): Launch {
  positive('grad_clip_scale', { count });
  if (!(maxNorm > 0)) throw new KernelShapeError('grad_clip_scale', `maxNorm must be > 0 (Infinity: no clipping), got ${maxNorm}`);
  const m = Number.isFinite(maxNorm) ? maxNorm : 0;
  return { kernel: 'grad_clip_scale', bindings: [partials, clip], params: packParams([count, { f32: m }]), threads: [256] };
}

/** g [n] *= clip[1]. */
export function gradScale(g: Buf, clip: Buf, n: number): Launch {
  positive('grad_scale', { n });
  return { kernel: 'grad_scale', bindings: [g, clip], params: packParams([n]), threads: [n] };
}
