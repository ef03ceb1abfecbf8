// What the LLM evaluation measured, as it goes into report.json.
import type { Percentiles, Slo } from '../../llm/workload.js';
import type { RunPlace } from '../result.js';
import type { WasteSplit } from './waste.js';

export type LlmSystemName = 'handover' | 'sp50' | 'sp75' | 'infer-only';
export const LLM_SYSTEMS: readonly LlmSystemName[] = ['handover', 'sp50', 'sp75', 'infer-only'];

/** The arena every ~100 ms: KV pages beside what each owner holds (pages). */
export interface KvSample {
  /** Seconds from the start of the replay. */
  t: number;
  kvPages: number;
  kvBlocks: number;
  trainPages: number;
  inferPages: number;
  freePages: number;
  trainLimitPages: number;
}

export interface KvMark {
  t: number;
  kind: 'require' | 'release';
  bytes: number;
}

export interface LlmSystemResult {
  system: LlmSystemName;
  summary: string;
  /** Most KV pages the cache may hold (null: no fixed cap). */
  kvCapPages: number | null;
  requests: number;
  completed: number;
  failed: number;
  /** Why requests failed (each distinct message once). */
  errors: string[];
  ttft: Percentiles;
  tbt: Percentiles;
  ttftCompliance: number;
  tbtCompliance: number;
  tokensPerSec: number;
  /** Admissions that waited because the KV blocks ran out with nothing more to take. */
  queuedAtMinimum: number;
  preemptions: number;
  /** Steps where nothing fit but training could still give (the batcher waited and asked again). */
  stalls: number;
  requires: number;
  releases: number;
  requiredBytes: number;
  /** Pages asked ahead at training's micro-batch boundary by the KV plan (nothing discarded), and their bytes (absent in older results). */
  yields?: number;
  yieldedBytes?: number;
  /** Steps at which an admission was put off while its pages left training at its boundary (absent in older results). */
  deferredAdmissions?: number;
  /** Admissions that waited for pages on their way until the deferral bound, then required them; the longest wait, ms (absent in older results). */
  deferralsExpired?: number;
  maxDeferWaitMs?: number;
  /** Waits for pages on their way with inference's hold on training lifted, and their ms in all (absent in older results). */
  boundaryWaits?: number;
  boundaryWaitMs?: number;
  /** Requires by what needed the pages: an admission, a running sequence's next block, a run's workspace (absent in older results). */
  requiresFor?: { admission: number; block: number; workspace: number };
  /** The arena this system ran in, pages (absent in older results: meta.arenaBytes). */
  arenaPages?: number;
  peakKvPages: number;
  peakKvBlocks: number;
  trainSamples: number;
  trainSamplesPerSec: number;
  trainDiscards: number;
  /** Seconds of training compute thrown away by discarded micro-batches. */
  wastedTrainS: number;
  /** Seconds inside micro-batches, committed or discarded (the denominator of the wasted share; absent in older results). */
  microBatchS?: number;
  /** Micro-batches that ended, committed or discarded (absent in older results). */
  microBatches?: number;
  /** What the micro-batches' wall time went to, discarded and all, and the wasted share both ways (waste.ts; absent in older results and without training). */
  waste?: WasteSplit;
  wallS: number;
  /** Each finished request's TTFT and each token gap (ms, rounded to 0.01). */
  ttftMs: number[];
  tbtMs: number[];
  kv: KvSample[];
  marks: KvMark[];
}

export interface LlmRunMeta extends RunPlace {
  traceFile: string;
  model: string;
  seed: number;
  durationS: number;
  timeScale: number;
  requests: number;
  meanRate: number;
  scaling: string;
  scalingFactor: number;
  maxContext: number;
  maxBatch: number;
  blockTokens: number;
  blockBytes: number;
  /** The arena of the systems that train (Infer-Only's too unless arenaSizing says otherwise). */
  arenaBytes: number;
  /** How the contended arena was sized from Infer-Only's KV peak (absent: every system ran in arenaBytes). */
  arenaSizing?: string;
  /** The elastic KV's deferral bound and the KV plan's reserve horizon, ms (absent in older results). */
  maxDeferMs?: number;
  kvHorizonMs?: number;
  pageBytes: number;
  modelBytes: number;
  workspacePages: number;
  trainLayers: number[];
  trainMicroBatch: number;
  /** The training job (src/eval/train-job.ts jobLabel). */
  training?: string;
  /** Standalone averages (one request alone) and the SLO (4x each). */
  standalone: Slo;
  slo: Slo;
  /** Infer-Only's peak KV pages, from which SP-50/SP-75's caps come (null: no SP system ran). */
  inferOnlyPeakKvPages: number | null;
  command: string;
}

export interface LlmRunReport {
  meta: LlmRunMeta;
  systems: Partial<Record<LlmSystemName, LlmSystemResult>>;
}
