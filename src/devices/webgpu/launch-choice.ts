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

/**
 * The kernel a launch runs and its workgroups, remembered per params buffer
 * (a plan's launches keep theirs from run to run) and checked against its
 * words (a caller may rewrite a params buffer in place).
 */
export class LaunchChoices {
  private readonly seen = new WeakMap<ArrayBuffer, { portable: string; threads: number[]; words: Uint32Array; kernel: string; groups: Groups }>();

  constructor(private readonly variants: Variants) {}

  choose(portable: string, params: ArrayBuffer | undefined, threads: Groups, workgroupOf: (kernel: string) => Groups): { kernel: string; groups: Groups } {
    const words = params && new Uint32Array(params, 0, params.byteLength >> 2);
    const hit = params && this.seen.get(params);
    if (hit && hit.portable === portable && hit.threads.every((t, i) => t === threads[i]) && hit.words.every((w, i) => w === words![i])) {
      return { kernel: hit.kernel, groups: [...hit.groups] };
    }
    const variant = pickVariant(this.variants, portable, params);
    const kernel = variant?.kernel ?? portable;
    const wg = variant ? undefined : workgroupOf(kernel);
    const groups = variant ? variant.groups(threads, params) : (threads.map((t, i) => Math.ceil(t / wg![i]!)) as Groups);
    if (params) this.seen.set(params, { portable, threads: [...threads], words: Uint32Array.from(words!), kernel, groups: [...groups] });
    return { kernel, groups };
  }
}
