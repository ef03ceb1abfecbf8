// Inputs a caller writes on the GPU instead of uploading from the host: a
// decoder's past keys and values, gathered from the paged KV cache's blocks
// (src/llm/device-past.ts). The run checks their declared dims like any
// input's, places them in its workspace, then calls fill() with their ranges
// after the host inputs are written and before the launches; fill issues the
// work that writes them on the 'infer' lane (ordered before the run's
// kernels). They are float32 only (the engine's device words).
import type { Range } from '../core/device.js';

export interface DeviceInputs {
  /** The inputs' dims by name. */
  dims: Record<string, number[]>;
  /** Writes them on the GPU: `dst` is each input's range in the run's workspace. */
  fill(dst: Record<string, Range>): void;
}
