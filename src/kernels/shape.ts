// Shape checks shared by the GPT kernels' wrappers: a bad size is a typed
// error at launch-building time, never an out-of-bounds kernel.
import { HandoverError } from '../core/errors.js';
import type { Bindable, Range } from '../core/device.js';

export type Buf = Range | Bindable;

/** A kernel was asked for a shape it cannot run. */
export class KernelShapeError extends HandoverError {
  override name = 'KernelShapeError';
  constructor(readonly kernel: string, readonly detail: string) {
    super(`${kernel}: ${detail}`);
  }
}

/** Throws unless every named size is a positive integer that fits a u32 param. */
export function positive(kernel: string, sizes: Record<string, number>): void {
  for (const [name, v] of Object.entries(sizes))
    if (!Number.isInteger(v) || v <= 0 || v > 0xffffffff) throw new KernelShapeError(kernel, `${name} must be a positive integer, got ${v}`);
}

/** Throws unless `count` elements (an index the kernel computes in u32) fit in 2^32. */
export function fitsU32(kernel: string, what: string, count: number): void {
  if (count > 0xffffffff) throw new KernelShapeError(kernel, `${what} has ${count} elements, more than a u32 index reaches`);
}
