import type { HostSpanReport } from './host-spans.js';
import type { ArchitectureStages, MicroBatchThroughput } from './serving-detail.js';
import type { HostLoadReport } from './host-load.js';
// What one system's run measured, as it goes into report.json.
import type { TracePhases } from './report-verdict.js';
import type { GpuDevice } from '../core/device.js';
import type { HandoverCost } from './calibrate-handover.js';
import type { WarmupResult } from './warmup.js';

export interface MemorySample {
  /** Seconds from the start of the trace. */
  t: number;
  trainBytes: number;
  inferBytes: number;
  freeBytes: number;
  /** Most bytes training may hold at this moment (the arena's page limit). */
  trainLimitBytes: number;
}

export interface HandoverMark {
  t: number;
  kind: 'require' | 'release' | 'swap-out';
  bytes: number;
  ms?: number;
}

export interface HandoverBreakdown {
  /** Requires plus releases during the run. */
  count: number;
  requires: number;
  /** Requires paid from training's spare (its limit beyond its largest micro-batch): nothing discarded. */
  spareRequires?: number;
  releases: number;
  swapOuts: number;
  /** p50 of the training side's handover reports (null: no require reached training). */
  closeMs: number | null;
  discardMs: number | null;
  reclaimMs: number | null;
  totalMs: number | null;
  /** p99 of a require's time from the call to usable pages (training side), and the largest require (bytes). */
  totalP99Ms?: number | null;
  largestRequireBytes?: number;
  /** Naive handover and task switching: p50 wait for the running batch before the require. */
  waitForBatchMs: number | null;
  discards: number;
}

/**
 * P50 / P99 ms of each request stage: lag (from the scheduled arrival to the
 * request path: a blocked event loop), admit (reserve, REQUIRE, load), window
 * (the priority window), run; coldAdmit: admit of cold starts only.
 */
export type StageTimes = Record<'lag' | 'admit' | 'coldAdmit' | 'window' | 'run', { p50Ms: number; p99Ms: number } | null>;

export interface SystemResult {
  system: string;
  summary: string;
  requests: number;
  failed: number;
  sloCompliance: number;
  p50Ms: number;
  p99Ms: number;
  /** P50/P99 of the requests whose model was warm on arrival (no load, no handover): compute interference alone. */
  warmP50Ms: number | null;
  warmP99Ms: number | null;
  coldStartRatio: number;
  trainSamples: number;
  trainSamplesPerSec: number;
  /** Seconds of training compute thrown away by discarded micro-batches. */
  wastedTrainS: number;
  /** Seconds inside micro-batches, committed or discarded (the denominator of the wasted share; absent in older results). */
  microBatchS?: number;
  microBatchMin: number | null;
  microBatchMax: number | null;
  handovers: HandoverBreakdown;
  /** The queueing model's compliance for this policy with the measured exec and load times. */
  predictedCompliance: number | null;
  predictedColdStartRatio: number | null;
  /** Measured minus predicted, in points of compliance. */
  complianceGapPts: number | null;
  predictionNote: string;
  wallS: number;
  /** The warm-up before the measured window (warmup.ts); null or absent: none, every request measured. */
  warmup?: WarmupResult | null;
  /** Where requests waited (serveRequest's stages), P50 and P99 ms over the run's requests; absent in older results. */
  stages?: StageTimes;
  /** Each request's latency (ms), in arrival order. */
  latenciesMs: number[];
  /** Each request's SLO (ms). */
  sloMs: number[];
  /** Arrival-order indices of the requests that missed their SLO or failed, before the rounding of the two lists above (absent in older results). */
  missedIndices?: number[];
  memory: MemorySample[];
  marks: HandoverMark[];
  /** Training samples committed over time (t in s, cumulative samples). */
  training: { t: number; samples: number }[];
  /**
   * With --repeat: every round's headline, in the order run; the rest of this
   * result is the round with the median compliance.
   */
  rounds?: RoundSummary[];
  /** Per architecture: compliance, stages (warm and cold runs apart) and graph replays; training samples/s by micro-batch (absent in older results). */
  /** Other processes' and the hypervisor's CPU during the run (host-load.ts); null off Linux, absent in older results. */
  hostLoad?: HostLoadReport | null;
  detail?: { architectures: ArchitectureStages[]; trainByMicroBatch: MicroBatchThroughput[]; host?: HostSpanReport; failures?: { error: string; count: number }[] };
}

export interface RoundSummary {
  round: number;
  sloCompliance: number;
  p99Ms: number;
  trainSamplesPerSec: number;
  /** Other processes' mean cores during this round's run (host-load.ts). */
  otherCores?: number;
  /** The hypervisor's share of the CPU during this round's run (host-load.ts). */
  stealShare?: number;
}

/** When and where a run was measured: the head of every report's meta. */
export interface RunPlace {
  date: string;
  device: string;
  software: boolean;
  backend: string;
}

export function runPlace(dev: GpuDevice, backend: string): RunPlace {
  return { date: new Date().toISOString(), device: dev.info.name, software: dev.info.software, backend };
}

export interface RunMeta extends RunPlace {
  trace: string;
  traceFile: string | null;
  seed: number;
  durationS: number;
  timeScale: number;
  meanRate: number;
  requests: number;
  models: number;
  /** coldMs / coldP90Ms: a pipelined cold start (load and run at once), where measured. */
  architectures: { label: string; bytes: number; execMs: number; loadMs: number; coldMs?: number; coldP90Ms?: number; sloMs: number }[];
  arenaBytes: number;
  pageBytes: number;
  trainLayers: number[];
  trainMicroBatch: number;
  /** The training job (src/eval/train-job.ts jobLabel). */
  training?: string;
  /** Measured before the run (null when given): what one handover costs training. */
  handoverCost: HandoverCost | null;
  /** Rounds each system ran (--repeat). */
  rounds: number;
  tuned: { tIdleMs: number; watermarkBytes: number; source: string; predicted: number | null };
  command: string;
  /** The trace's HEAVY/LIGHT intervals, for the memory timeline (absent for traces without regimes). */
  phases?: TracePhases;
}

export interface RunReport {
  meta: RunMeta;
  systems: Record<string, SystemResult>;
}
