// Finds a WebGPU adapter: navigator.gpu in browsers, Dawn (npm `webgpu`) in Node.
// In Node with no hardware adapter it selects SwiftShader's Vulkan driver
// (shipped by Debian's chromium package) and says so.

import { NoAdapterError, UsageError } from '../../core/errors.js';
import { dawnPollMsFor, setDawnPollMs, throttleDawnPolling } from './dawn-poll.js';
import { ensureRuntimeDir, mayHaveGpu } from './node-env.js';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface AdapterChoice {
  adapter: GPUAdapter;
  /**
   * The GPU instance the adapter came from. Keep it referenced for as long as
   * the device lives: in Dawn's Node binding a collected instance leaves its
   * devices' event processing pointing at freed memory (segfaults in
   * CallbackTaskManager::Flush while work is in flight).
   */
  instance: GPU;
  software: boolean;
  /** How the adapter was found, for logs and `handover device`. */
  how: string;
}

type Log = (line: string) => void;

/**
 * Flags for Dawn's Node binding. Dawn rounds GPU timestamps down to 2^16 ns
 * by default (a web page's defence against timing attacks); a process that
 * profiles its own kernels wants them exact: kernels of a few microseconds
 * read 0 ns, longer ones a multiple of 65.5 us (the profiles of the first H200
 * run), so `infer --profile` sums undercounted the GPU time.
 */
export const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];

/**
 * DAWN_FLAGS, plus the Dawn toggles named in HANDOVER_DAWN_TOGGLES (a comma
 * list, e.g. `disable_robustness`: the kernels' own bounds checks then stand
 * alone; docs/webgpu-training.md measured what each costs on the H200).
 */
export function dawnFlags(env: Record<string, string | undefined>): string[] {
  const t = env.HANDOVER_DAWN_TOGGLES ?? '';
  if (t === '') return DAWN_FLAGS;
  if (!/^[a-z0-9_]+(,[a-z0-9_]+)*$/.test(t)) throw new UsageError(`HANDOVER_DAWN_TOGGLES='${t}': use Dawn toggle names separated by commas (e.g. disable_robustness)`);
  return [...DAWN_FLAGS, `enable-dawn-features=${t}`];
}

function isSoftware(a: GPUAdapter): boolean {
  const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return Boolean(info.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe/.test(text);
}

async function nodeGpu(): Promise<{ create: (flags: string[]) => GPU; globals: object }> {
  // Not a static import so that browser bundles never see the native module.
  const mod = 'webgpu';
  return (await import(/* @vite-ignore */ mod)) as { create: (flags: string[]) => GPU; globals: object };
}

export async function findAdapter(log: Log = () => {}, opts: { software?: boolean } = {}): Promise<AdapterChoice> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const inBrowser = typeof window !== 'undefined' && nav?.gpu !== undefined;
  if (inBrowser) {
    const adapter = await nav!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new NoAdapterError('navigator.gpu.requestAdapter() returned null: WebGPU is disabled or unsupported here');
    return { adapter, instance: nav!.gpu!, software: isSoftware(adapter), how: 'navigator.gpu' };
  }
  if (typeof window !== 'undefined') {
    throw new NoAdapterError('this browser has no navigator.gpu: use a browser with WebGPU enabled (Chrome 113+, or --enable-unsafe-webgpu)');
  }
  throttleDawnPolling();
  const { create, globals } = await nodeGpu();
  Object.assign(globalThis, globals);
  const env = process.env;
  const preset = env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES;
  await ensureRuntimeDir(env);
  if (!opts.software && (preset || (await mayHaveGpu()))) {
    const instance = create(dawnFlags(env));
    const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter && (!isSoftware(adapter) || preset)) {
      setDawnPollMs(dawnPollMsFor(isSoftware(adapter), env));
      const how = preset ? `Dawn with Vulkan driver ${preset}` : 'Dawn, system Vulkan driver';
      return { adapter, instance, software: isSoftware(adapter), how };
    }
  }
  const fsModule = 'node:fs';
  const { existsSync } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs');
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new NoAdapterError(
      `no hardware WebGPU adapter and no SwiftShader driver at ${SWIFTSHADER_ICD}: ` +
        `install it with 'apt-get install chromium libvulkan1' (or run 'npm run setup' as root)`,
    );
  }
  env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  log(`handover: no hardware GPU adapter; using SwiftShader (CPU Vulkan) from ${SWIFTSHADER_ICD}`);
  const instance = create(dawnFlags(env));
  const adapter = await instance.requestAdapter();
  if (!adapter) throw new NoAdapterError(`SwiftShader at ${SWIFTSHADER_ICD} gave no adapter (is libvulkan1 installed?)`);
  setDawnPollMs(dawnPollMsFor(true, env));
  return { adapter, instance, software: true, how: `Dawn on SwiftShader (${SWIFTSHADER_ICD})` };
}
