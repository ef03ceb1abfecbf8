// The one description of a colocated system: the device, the arena, the
// training job, the inference side (vision models in a model store; LLM
// generation over the paged KV cache) and the policy. Every face (the CLI's
// run and serve, the browser demo, the benchmarks, the data-parallel ranks)
// fills one of these and builds the system from it (build.ts).
import type { SliceMode } from '../core/slicing.js';
import type { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import type { Gate } from '../core/gate.js';
import type { TensorData } from '../infer/store.js';
import type { KvShape } from '../llm/cache.js';
import type { SystemName, Tuned } from '../sched/systems.js';
import type { Dataset } from '../train/data.js';
import type { TrainingModel } from '../train/model.js';
import type { Trainer, TrainConfig, TrainerOptions } from '../train/trainer.js';

/**
 * The training job, as a factory: the system makes the trainer on its own
 * arena and gate, so any model the trainer supports (the MLP, a GPT, ...)
 * with its optimizer and batch sizes plugs in here unchanged. `D` is the
 * model's data (a Dataset for the MLP, a TokenDataset for a GPT).
 */
export interface TrainingSpec<D = Dataset, C extends TrainerOptions = TrainConfig> {
  /** For logs: what trains on what. */
  label: string;
  /** The model the trainer trains (its static bytes are known before the trainer exists). */
  model: TrainingModel<D>;
  create(arena: Arena, gate: Gate): Trainer<D, C>;
  /**
   * What the system's background job steps over, epoch after epoch; null: no
   * background job, the caller drives the trainer (`handover train`'s session,
   * with its step count, checkpoints and stop signals).
   */
  data: D | null;
  /** The job reads the loss every this many steps for its timeline (default 5). */
  lossEvery?: number;
  /** Timeline samples kept (default 5000). */
  maxTimeline?: number;
}

/** A vision (or any ONNX) model served from the model store. */
export interface ModelSpec {
  name: string;
  /** The ONNX file, or its bytes. */
  file?: string;
  onnx?: Uint8Array;
  /** Inputs for one run before training starts, so the model's kernels compile first (a launch must not race a compile). */
  warmup?: Record<string, TensorData>;
}

/** LLM generation: a decoder exported with an explicit KV cache, over the paged KV cache and the continuous batcher. */
export interface GenerationSpec {
  /** The decoder's name in the system's store (default 'gpt'). */
  name?: string;
  modelFile: string;
  kv: KvShape;
  /** Token ids the decoder knows, and positions it embeds (defaults: the Generator's). */
  vocab?: number;
  maxPositions?: number;
  blockTokens: number;
  /** Most sequences in one step. */
  maxBatch: number;
  /** Positions of the longest request; also the prefill budget (prompt tokens per step). */
  maxContext: number;
  /** Free bytes kept after a require (the batcher's watermark W). */
  watermarkBytes: number;
  /** A static partition's fixed KV capacity in pages (sp50, sp75); null: elastic (handover) or the whole arena (infer-only). */
  kvCapPages?: number | null;
  /** Elastic KV: most ms an admission waits for pages leaving training at its boundary before it requires them (the batcher's default: 50). */
  maxDeferMs?: number;
  /** Elastic KV: ms of arriving demand the KV plan's reserve covers (the plan's default: 500). */
  kvHorizonMs?: number;
}

/** What `handover run` measures by default, so every face gets the same inference priority and compute sharing. */
export const POLICY_DEFAULTS = { priorityMs: 30, shareRows: 8, trainShare: 1, slice: 'auto', sliceFraction: 0.25, expectMs: 250, burstGapMs: 60 } as const;

export interface PolicySpec {
  system: SystemName;
  /** T_idle and W of Algorithm 1 (default: T_idle 5 s, W the largest model). */
  tuned?: Partial<Tuned>;
  /** Training stays held this long after a run ends (0: only while it runs; default 30). */
  priorityMs?: number;
  /** One-queue devices: training micro-batch rows while inference runs (systems that share compute; default 8). */
  shareRows?: number;
  /** Devices that confine training (CUDA green contexts): its share of the SMs while inference runs; 1: none. */
  trainShare?: number;
  /**
   * Time-sliced training for the systems that share compute (handover, naive): 'auto' slices on
   * one-queue devices (WebGPU), where it replaces shareRows; 'on' also on CUDA (for comparison). Default auto.
   */
  slice?: SliceMode;
  /** Share of the tightest SLO one slice of training work may take (default 1/4). */
  sliceFraction?: number;
  /** After a request, training stays sliced this long, in ms: more are expected (default 250). */
  expectMs?: number;
  /**
   * With slicing: training submits nothing while requests come closer than this on average, ms
   * (a burst; default 60: twice the priority window, so that an 8-arrival mean of a heavy interval's
   * gaps rarely reads as over; 0: never pauses).
   */
  burstGapMs?: number;
}

export interface SystemSpec<D = Dataset, C extends TrainerOptions = TrainConfig> {
  device: GpuDevice;
  /** A new arena (whole pages of `bytes`; the arena's default page size unless given), or an arena the caller owns (the server's), which the system then leaves alive. */
  arena: { bytes: number; pageBytes?: number; remap?: boolean } | { use: Arena };
  /** Training launches in flight on the gate (default 2). */
  maxInFlight?: number;
  /** Pages kept for inference activations, taken from training once at build (default 0). */
  workspacePages?: number;
  training: TrainingSpec<D, C> | null;
  models?: ModelSpec[];
  generation?: GenerationSpec;
  policy: PolicySpec;
  /** The scheduler's clock (tests give a fake one). */
  now?: () => number;
  /** Passed to the model store (tests poison workspaces; concurrentRuns: runs of different models in flight, each with its own workspace, which workspacePages must cover). */
  store?: { poison?: boolean; graphs?: boolean; concurrentRuns?: number; hostWeights?: 'keep' | 'drop' };
}
