// The colocation core's interfaces and shapes (core.ts): training's and
// inference's sides, the configuration, a request's admission, the counts
// and the snapshot.
import { SchedParameterError } from './errors.js';

/** Training's side of the handover. */
export interface MemorySide {
  /** Shrink training by `bytes` (Infinity: all it can); resolves with the bytes it actually freed for inference. */
  require(bytes: number): Promise<{ freedBytes: number }>;
  /** Give `bytes` back to training (it may grow at its next micro-batch); returns the bytes it took (whole pages; the rest stays with inference). */
  release(bytes: number): number;
  /**
   * Optional: training sizes its next micro-batch without `bytes`, discarding
   * nothing. Resolves once its limit dropped, with the bytes that left it and
   * `free`, which resolves when they are free to use. The core uses it to
   * refill the watermark when the reserve covered the need.
   */
  yieldAtBoundary?(bytes: number): Promise<{ freedBytes: number; free: Promise<void> }>;
  /** Training holds nothing a require could take (micro-batch at its minimum, or no training). */
  atMinimum(): boolean;
  /**
   * Optional: whether training could use more memory now (its largest
   * micro-batch does not fit). False keeps idle models resident: unloading
   * them would gain training nothing and cost their next requests a cold start.
   */
  wantsMemory?(): boolean | undefined;
  /**
   * Optional: training's room against its largest micro-batch (its cap).
   * `spareBytes`: what its limit lets it hold beyond what that micro-batch
   * needs (taking it discards and shrinks nothing); `nextBytes`: more it needs
   * for a micro-batch one sample larger; `capBytes`: more it needs to reach
   * the cap (both 0 at the cap). With it the core takes training's spare
   * before an idle model's memory, and gives an idle model's memory to
   * training only when training can grow into it.
   */
  headroom?(): Headroom;
}

/** Training's room against its micro-batch cap, bytes (MemorySide.headroom). */
export interface Headroom {
  spareBytes: number;
  nextBytes: number;
  capBytes: number;
}

/** Of `bytes` given to training, what it can grow into: up to its cap, and 0 unless it reaches a micro-batch one sample larger. */
export function growInto(bytes: number, room: Headroom): number {
  const b = Math.min(bytes, room.capBytes);
  return b > 0 && b >= room.nextBytes ? b : 0;
}

/** Inference's side: models that can be loaded into and unloaded from inference memory. */
export interface ModelSide {
  bytes(model: string): number;
  load(model: string, opts: { pipelined: boolean }): Promise<void>;
  unload(model: string): Promise<void>;
  /**
   * A run of a model whose load has started may be issued at once: it waits
   * for each layer's weights itself (the model store's pipelined run). Then
   * load() must have started the load when it returns its promise.
   */
  readonly runsWhileLoading?: boolean;
}

export interface CoreConfig {
  /** A model idle this long moves to the reserve (Infinity: never). */
  tIdleMs: number;
  /** Per model, overriding tIdleMs (e.g. longer for models whose cold start misses their SLO). */
  tIdleMsByModel?: Readonly<Record<string, number>>;
  /** The watermark W, bytes. */
  watermarkBytes: number;
  /** Trim the reserve when it exceeds this (default 2W). */
  trimAboveBytes?: number;
  /** May the core ask training for memory at all (false: static partition, infer-only). */
  requireFromTraining?: boolean;
  /** Load pipelined (layer by layer against execution) when swapping. */
  pipelinedSwap?: boolean;
  /**
   * Every cold start pipelined with its run: admit() returns once the load is
   * issued, not done, and the run executes layer k while layer k+1 uploads
   * (where the model side runsWhileLoading). Default false.
   */
  pipelinedColdStart?: boolean;
  /** Ask training for everything it can give on a shortfall (TaskSwitch); MemorySide.require clamps. */
  requireAll?: boolean;
  /** Trim the reserve only while no model is warm (TaskSwitch: switch back when inference is idle). */
  trimOnlyWhenIdle?: boolean;
  /**
   * Between W and 2W, give the free reserve beyond W to a training that can
   * grow into it (no model unloaded); where the memory side has headroom.
   * Default false (the vision evaluation's testbed sets it).
   */
  lendFreeReserve?: boolean;
}

export type ModelState = 'cold' | 'loading' | 'warm' | 'reserved';
export type AdmitPath = 'warm' | 'reuse' | 'reserve' | 'train' | 'swap' | 'joined';

export interface Admission {
  model: string;
  path: AdmitPath;
  coldStart: boolean;
  /** Time from admit to the model being ready (decision, require, load). */
  waitMs: number;
}

export interface CoreStats {
  admits: number;
  warmHits: number;
  reuses: number;
  coldStarts: number;
  /** Requires, those paid from training's spare (nothing discarded) among them. */
  requires: number;
  spareRequires: number;
  requiredBytes: number;
  releases: number;
  releasedBytes: number;
  swapOuts: number;
  evictions: number;
  /** Watermark refills asked of training at its next micro-batch (nothing discarded), and the bytes they gave. */
  deferredRequires: number;
  deferredBytes: number;
}

/** The core's record of one model. */
export interface CoreModel {
  name: string;
  bytes: number;
  state: ModelState;
  lastUsed: number;
  pinned: number;
  loading: Promise<void> | null;
}

export interface CoreSnapshot {
  t: number;
  freeBytes: number;
  reserveBytes: number;
  warmBytes: number;
  inferenceBytes: number;
  models: { name: string; state: ModelState; bytes: number; lastUsed: number; pinned: number }[];
}

/** Checks a configuration; returns the reserve above which the core trims (default 2W). */
export function checkedTrimAbove(config: CoreConfig): number {
  if (!(config.tIdleMs >= 0)) throw new SchedParameterError('tIdleMs', config.tIdleMs, 'milliseconds >= 0 (Infinity: never)');
  for (const [m, ms] of Object.entries(config.tIdleMsByModel ?? {})) if (!(ms >= 0)) throw new SchedParameterError(`tIdleMsByModel['${m}']`, ms, 'milliseconds >= 0 (Infinity: never)');
  if (!(config.watermarkBytes >= 0) || !Number.isFinite(config.watermarkBytes)) throw new SchedParameterError('watermarkBytes', config.watermarkBytes, 'bytes >= 0');
  const trimAbove = config.trimAboveBytes ?? 2 * config.watermarkBytes;
  if (!(trimAbove >= config.watermarkBytes)) throw new SchedParameterError('trimAboveBytes', trimAbove, `>= the watermark ${config.watermarkBytes}`);
  return trimAbove;
}
