// What a command prints. With --json, stdout carries exactly one JSON object
// (written here) and every human line goes to stderr; the object's first keys
// are the same in every command: `device` (the GPU's name, or null when the
// command opened none), `backend`, then the command's figures.
import type { GpuDevice } from '../core/device.js';

let jsonMode = false;
let written = false;
let saved: typeof console.log | null = null;

/** Routes console.log to stderr until `endJsonMode`, so only `printJson` reaches stdout. */
export function beginJsonMode(): void {
  jsonMode = true;
  written = false;
  saved = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
}

export function endJsonMode(): void {
  if (saved) console.log = saved;
  saved = null;
  jsonMode = false;
}

/** The one JSON object of a --json run: `{device, backend, ...figures}`. */
export function printJson(dev: Pick<GpuDevice, 'info'> | string | null, backend: string | null, figures: Record<string, unknown>): void {
  const device = dev === null ? null : typeof dev === 'string' ? dev : dev.info.name;
  const { device: _d, backend: _b, ...rest } = figures;
  const line = JSON.stringify({ device, backend: backend ?? (typeof dev === 'object' && dev ? dev.info.backend : null), ...rest });
  if (jsonMode && written) throw new Error('printJson called twice in one --json run');
  written = true;
  (saved ?? console.log)(line);
}
