// The types of the abstract GPU device (src/core/device.ts): what a backend
// describes of itself (info, limits, capabilities), ranges and launches, and
// the packing of a launch's parameters.

import { InvalidRangeError } from './errors.js';
import type { KernelName } from './kernel-names.gen.js';

export type { KernelName } from './kernel-names.gen.js';

/** An operation of the simulated device of the multi-process tests (src/devices/sim/device.ts), not a GPU kernel. */
export type SimulatedKernel = `sim#${number}`;
/**
 * The backend's name: an open string, so a backend added later (or the
 * simulated device of the multi-process tests) names itself truthfully. The
 * two shipped backends keep their literal names for completion.
 */
export type Backend = 'webgpu' | 'cuda' | (string & {});

/**
 * Which work a call belongs to. A backend with several queues (CUDA) runs the
 * inference lane ahead of training; work within one lane keeps issue order.
 * Zero-fills and copies (the arena's owner changes and moves) are ordered
 * against every lane, and fence()/submit() cover every lane. Backends with one
 * queue (WebGPU) ignore it.
 */
export type Lane = 'train' | 'infer';

export interface DeviceLimits {
  /** Largest single backing (GPUBuffer / VMM range) in bytes. */
  maxBackingBytes: number;
  /** With capabilities.remap: the unit mapPages maps (the VMM allocation granularity). */
  remapPageBytes?: number;
  /** Largest range one kernel binding may cover. */
  maxBindingBytes: number;
  /** Offsets of bound ranges must be multiples of this. */
  bindingAlignment: number;
  /** Largest workgroup (block) count in one grid dimension. */
  maxGroupsPerDimension: number;
}

export interface DeviceCapabilities {
  /** Scattered physical pages can be mapped into one contiguous range (mapPages; CUDA VMM). */
  remap: boolean;
  /** GPU-side timestamps are available. */
  timestamps: boolean;
  /** Launches can be recorded once and replayed (record/replay; CUDA graphs). */
  graphs?: boolean;
  /**
   * Inference and training run on separate queues (the Lane of a launch), the
   * inference one at a higher priority: inference need not wait behind training
   * kernels. Without it (one queue) the scheduler shortens training kernels
   * while inference runs instead.
   */
  lanes?: boolean;
  /**
   * The training lane can be confined to part of the GPU's compute while
   * inference runs (confineTraining; CUDA green contexts), so inference kernels
   * find free SMs instead of waiting for running training blocks.
   */
  confine?: boolean;
  /**
   * How late the host may learn that submitted work has finished, ms: a
   * backend that polls for completions on a timer (Dawn on a CPU adapter,
   * src/devices/webgpu/dawn-poll.ts) sees an end up to its interval after it
   * happened. That wait is part of a submission's round trip but does not
   * occupy the device (default 0).
   */
  completionLatencyMs?: number;
}

export interface DeviceInfo {
  backend: Backend;
  name: string;
  vendor: string;
  architecture: string;
  /** A CPU implementation (SwiftShader) rather than a hardware GPU. */
  software: boolean;
  limits: DeviceLimits;
  capabilities: DeviceCapabilities;
}

/** One block of device memory created for the arena. Opaque to the core. */
export interface Backing {
  readonly id: number;
  readonly bytes: number;
}

/** One page of a live backing, for mapPages(): offset is a multiple of limits.remapPageBytes. */
export interface PageRef {
  backing: Backing;
  offset: number;
}

/** A byte range inside one backing: what a kernel binding points at. */
export interface Range {
  readonly backing: Backing;
  readonly offset: number;
  readonly bytes: number;
}

/** Something that can be resolved to a range at launch time (an allocation may move). */
export interface Bindable {
  range(): Range;
}

export type Threads = readonly [number, number?, number?];

/** One kernel launch, backend-neutral: a kernel name, bound ranges, packed params. */
export interface Launch {
  /** A kernel with a shader in shaders/ (generated type: a misspelt name does not compile), or a simulated device's operation. */
  kernel: KernelName | SimulatedKernel;
  bindings: readonly (Range | Bindable)[];
  /** Packed 4-byte words (see packParams); empty when the kernel takes none. */
  params?: ArrayBuffer;
  /** Invocations needed along x, y, z; the backend rounds up to whole groups. */
  threads: Threads;
  /** Default 'train'. */
  lane?: Lane;
}

/**
 * Launches recorded by record(), replayed by replay(): the ranges they bound
 * are baked in, so a replay is valid only while those allocations stay where
 * they were at recording time (the caller checks; see src/infer/executor.ts).
 */
export interface Recording {
  readonly id: number;
  readonly lane: Lane;
  /** Launches recorded. */
  readonly launches: number;
}

/** An upload in flight (GpuDevice.upload): what a lane waits on before reading the range. */
export interface UploadTicket {
  readonly id: number;
}

export function resolve(b: Range | Bindable): Range {
  return 'range' in b && typeof b.range === 'function' ? b.range() : (b as Range);
}

/** A param word: plain numbers are u32; wrap floats and signed ints. */
export type ParamWord = number | { f32: number } | { i32: number };

export function packParams(words: readonly ParamWord[]): ArrayBuffer {
  const n = Math.max(4, Math.ceil(words.length / 4) * 4);
  const buf = new ArrayBuffer(n * 4);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  const i = new Int32Array(buf);
  words.forEach((w, k) => {
    if (typeof w === 'number') {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new InvalidRangeError(`param ${k} is not a u32: ${w}`);
      u[k] = w;
    } else if ('f32' in w) f[k] = w.f32;
    else i[k] = w.i32;
  });
  return buf;
}
