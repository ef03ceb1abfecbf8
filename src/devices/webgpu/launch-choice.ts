// What a WebGPU launch runs: the kernel (a variant of variants.ts or the
// portable one) and its workgroups, remembered per params buffer; the
// workgroup size a kernel declares; and the pipelining settings of the device.
import { DeviceError, UsageError } from '../../core/errors.js';
import { pickVariant, type Variants } from './variants.js';

/** Reads `@workgroup_size(x, y, z)` from the WGSL so TypeScript cannot drift from the shader. */
export function workgroupSize(wgsl: string, name: string): [number, number, number] {
  const m = /@workgroup_size\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?(?:,\s*(\d+)\s*)?\)/.exec(wgsl);
  if (!m) throw new DeviceError(`kernel ${name}`, 'shader has no @workgroup_size');
  return [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
}

/** HANDOVER_WEBGPU_PIPELINING=1|0 forces pipelining on or off (suites, benchmarks); unset: by adapter. */
export function pipeliningFromEnv(): boolean | undefined {
  const v = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.HANDOVER_WEBGPU_PIPELINING;
  if (v === undefined || v === '') return undefined;
  if (v !== '0' && v !== '1') throw new UsageError(`HANDOVER_WEBGPU_PIPELINING='${v}': use 1 or 0`);
  return v === '1';
}

/** With pipelining: submit after this many launches when the queue is idle, else after FLUSH_EVERY. */
export const FIRST_FLUSH = 4;
export const FLUSH_EVERY = 24;

type Groups = [number, number, number];

/** What a launch runs: the kernel and its workgroups; for a split variant, its scratch, bindings and second kernel (variants.ts Variant). */
export interface LaunchChoice {
  kernel: string;
  groups: Groups;
  /** Scratch floats bound after the launch's ranges (0: none). */
  scratch: number;
  binds?: readonly number[];
  then?: { kernel: string; binds: readonly number[]; groups: Groups };
}

/**
 * The kernel a launch runs and its workgroups, remembered per params buffer
 * (a plan's launches keep theirs from run to run) and checked against its
 * words (a caller may rewrite a params buffer in place).
 */
export class LaunchChoices {
  private readonly seen = new WeakMap<ArrayBuffer, { portable: string; threads: number[]; words: Uint32Array; choice: LaunchChoice }>();

  constructor(private readonly variants: Variants) {}

  choose(portable: string, params: ArrayBuffer | undefined, threads: Groups, workgroupOf: (kernel: string) => Groups): LaunchChoice {
    const words = params && new Uint32Array(params, 0, params.byteLength >> 2);
    const hit = params && this.seen.get(params);
    if (hit && hit.portable === portable && hit.threads.every((t, i) => t === threads[i]) && hit.words.every((w, i) => w === words![i])) {
      return copy(hit.choice);
    }
    const v = pickVariant(this.variants, portable, params);
    let choice: LaunchChoice;
    if (v) {
      choice = { kernel: v.kernel, groups: v.groups(threads, params), scratch: v.scratch?.(params) ?? 0, binds: v.binds };
      if (v.then) choice.then = { kernel: v.then.kernel, binds: v.then.binds, groups: v.then.groups(params) };
    } else {
      const wg = workgroupOf(portable);
      choice = { kernel: portable, groups: threads.map((t, i) => Math.ceil(t / wg[i]!)) as Groups, scratch: 0 };
    }
    if (params) this.seen.set(params, { portable, threads: [...threads], words: Uint32Array.from(words!), choice: copy(choice) });
    return choice;
  }
}

/** A copy the caller may change (the device folds large x counts into y in place). */
function copy(c: LaunchChoice): LaunchChoice {
  return { ...c, groups: [...c.groups], ...(c.then ? { then: { ...c.then, groups: [...c.then.groups] } } : {}) };
}
