// One result schema for the vision and LLM evaluations: every (workload,
// trace, system) run becomes a ScaleRow with the paper's measures, the same
// names for both workloads (vision: request latency and its SLO; LLM: TTFT,
// with TBT beside it), so one report puts them side by side. Built from the
// two runners' report.json (RunReport, LlmRunReport); normalised within each
// (workload, trace): SLO compliance to Infer-Only's, training to SP-75's.
import type { LlmRunReport, LlmSystemResult } from '../llm/result.js';
import type { RunReport, StageTimes, SystemResult } from '../result.js';
import type { WarmupResult } from '../warmup.js';

export type Workload = 'vision' | 'llm';

/** Where a require's time went (p50, ms): the trainer adjusting (close + discard), the arena allocating (reclaim), the model loading. */
export interface HandoverSplit {
  requires: number;
  releases: number;
  adjustMs: number | null;
  allocateMs: number | null;
  loadMs: number | null;
  /** p99 from the require to usable pages, and the largest require (bytes). */
  requireP99Ms: number | null;
  largestRequireBytes: number | null;
}

export interface ScaleRow {
  workload: Workload;
  trace: string;
  system: string;
  requests: number;
  failed: number;
  /** Vision: requests within their SLO; LLM: first tokens within the TTFT SLO. */
  sloCompliance: number;
  /** LLM: token gaps within the TBT SLO (null for vision). */
  tbtCompliance: number | null;
  /** sloCompliance / Infer-Only's in the same (workload, trace); null without Infer-Only. */
  sloVsInferOnly: number | null;
  tbtVsInferOnly: number | null;
  /** Vision: request latency; LLM: TTFT. */
  p50Ms: number;
  p99Ms: number;
  /** LLM: TBT p99. */
  tbtP99Ms: number | null;
  trainSamplesPerSec: number;
  /** trainSamplesPerSec / SP-75's in the same (workload, trace); null without SP-75 or when it trained nothing. */
  trainVsSp75: number | null;
  /** Training time thrown away by discarded micro-batches, as a share of the run's wall time (null: no training). */
  wastedShare: number | null;
  microBatch: [number, number] | null;
  handover: HandoverSplit;
  /** Vision: where requests waited (admit, cold admit, priority window, run: P50/P99 ms); absent for the LLM and older results. */
  stages?: StageTimes | null;
  /** Vision: share of the measured requests that were cold starts (absent for the LLM and older results). */
  coldStartRatio?: number | null;
  /** Vision: the warm-up before the measured window (null: none; absent in older results). */
  warmup?: WarmupResult | null;
  wallS: number;
}

/** The arena over time by owner (bytes), KV pages inside inference's share for the LLM. */
export interface Timeline {
  workload: Workload;
  trace: string;
  system: string;
  points: { t: number; train: number; infer: number; free: number; kv: number | null }[];
}

/** What one runner's report said about its setting. */
export interface ScaleRun {
  workload: Workload;
  trace: string;
  device: string;
  backend: string;
  date: string;
  arenaBytes: number;
  pageBytes: number;
  /** Vision: instances and their architectures; LLM: the KV model. */
  inference: string;
  /** The training job (MLP widths or the GPT). */
  training: string;
  durationS: number;
  requests: number;
  command: string;
}

export interface ScaleReport {
  meta: { date: string; machine: string; cut: string[] };
  runs: ScaleRun[];
  rows: ScaleRow[];
  timelines: Timeline[];
}

const ratio = (a: number | null, b: number | null | undefined): number | null => (a === null || b === null || b === undefined || !(b > 0) ? null : a / b);

/** Sets sloVsInferOnly, tbtVsInferOnly and trainVsSp75 within each (workload, trace). */
export function normalise(rows: ScaleRow[]): ScaleRow[] {
  return rows.map((r) => {
    const same = rows.filter((o) => o.workload === r.workload && o.trace === r.trace);
    const io = same.find((o) => o.system === 'infer-only');
    const sp75 = same.find((o) => o.system === 'sp75');
    return {
      ...r,
      sloVsInferOnly: ratio(r.sloCompliance, io?.sloCompliance),
      tbtVsInferOnly: ratio(r.tbtCompliance, io?.tbtCompliance),
      trainVsSp75: r.system === 'infer-only' ? null : ratio(r.trainSamplesPerSec, sp75?.trainSamplesPerSec),
    };
  });
}

/** At most `n` points, evenly picked (the first and last kept). */
export function thin<T>(xs: readonly T[], n = 300): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))]!);
}

/** Wasted share of training compute: discarded micro-batch time over all micro-batch time (over wall time for results that lack it). */
const wasted = (s: { wastedTrainS: number; microBatchS?: number; wallS: number }, training: boolean) =>
  (training ? s.wastedTrainS / Math.max(s.microBatchS && s.microBatchS > 0 ? s.microBatchS : s.wallS, 1e-9) : null);

function visionRow(trace: string, s: SystemResult, loadMs: number): ScaleRow {
  const h = s.handovers;
  const training = s.system !== 'infer-only';
  return {
    workload: 'vision', trace, system: s.system, requests: s.requests, failed: s.failed,
    sloCompliance: s.sloCompliance, tbtCompliance: null, sloVsInferOnly: null, tbtVsInferOnly: null,
    p50Ms: s.p50Ms, p99Ms: s.p99Ms, tbtP99Ms: null,
    trainSamplesPerSec: s.trainSamplesPerSec, trainVsSp75: null, wastedShare: wasted(s, training),
    microBatch: s.microBatchMin === null || s.microBatchMax === null ? null : [s.microBatchMin, s.microBatchMax],
    handover: {
      requires: h.requires, releases: h.releases,
      adjustMs: h.closeMs === null && h.discardMs === null ? null : (h.closeMs ?? 0) + (h.discardMs ?? 0),
      allocateMs: h.reclaimMs, loadMs: h.requires + h.swapOuts > 0 || s.coldStartRatio > 0 ? loadMs : null,
      requireP99Ms: h.totalP99Ms ?? null, largestRequireBytes: h.largestRequireBytes ?? null,
    },
    stages: s.stages ?? null,
    coldStartRatio: s.coldStartRatio,
    warmup: s.warmup ?? null,
    wallS: s.wallS,
  };
}

/** The vision runner's report as rows, timelines and its run. */
export function fromVision(r: RunReport): { rows: ScaleRow[]; timelines: Timeline[]; run: ScaleRun } {
  const m = r.meta;
  const archs = m.architectures;
  const loadMs = archs.length ? archs.reduce((a, x) => a + x.loadMs, 0) / archs.length : 0;
  const systems = Object.values(r.systems);
  return {
    rows: systems.map((s) => visionRow(m.trace, s, loadMs)),
    timelines: systems.map((s) => ({ workload: 'vision', trace: m.trace, system: s.system, points: thin(s.memory).map((p) => ({ t: p.t, train: p.trainBytes, infer: p.inferBytes, free: p.freeBytes, kv: null })) })),
    run: {
      workload: 'vision', trace: m.trace, device: m.device, backend: m.backend, date: m.date, arenaBytes: m.arenaBytes, pageBytes: m.pageBytes,
      inference: `${m.models} instances of ${archs.map((a) => `${a.label} (${(a.bytes / 2 ** 20).toFixed(0)} MiB, exec ${a.execMs.toFixed(2)} ms, reload ${a.loadMs.toFixed(2)} ms${a.coldMs !== undefined ? `, pipelined cold start ${a.coldMs.toFixed(2)} ms (p90 ${a.coldP90Ms!.toFixed(2)})` : ''}, SLO ${a.sloMs.toFixed(1)} ms)`).join(', ')}`,
      training: m.training ?? `MLP ${m.trainLayers.join('-')}`, durationS: m.durationS, requests: m.requests, command: m.command,
    },
  };
}

function llmRow(s: LlmSystemResult): ScaleRow {
  const training = s.system !== 'infer-only';
  return {
    workload: 'llm', trace: 'azure', system: s.system, requests: s.requests, failed: s.failed,
    sloCompliance: s.ttftCompliance, tbtCompliance: s.tbtCompliance, sloVsInferOnly: null, tbtVsInferOnly: null,
    p50Ms: s.ttft.p50, p99Ms: s.ttft.p99, tbtP99Ms: s.tbt.p99,
    trainSamplesPerSec: s.trainSamplesPerSec, trainVsSp75: null, wastedShare: wasted({ ...s, wastedTrainS: s.wastedTrainS ?? 0 }, training),
    microBatch: null,
    handover: { requires: s.requires, releases: s.releases, adjustMs: null, allocateMs: null, loadMs: null, requireP99Ms: null, largestRequireBytes: s.requires ? s.requiredBytes / s.requires : null },
    wallS: s.wallS,
  };
}

/** The LLM runner's report as rows, timelines and its run. */
export function fromLlm(r: LlmRunReport): { rows: ScaleRow[]; timelines: Timeline[]; run: ScaleRun } {
  const m = r.meta;
  const systems = Object.values(r.systems).filter((s): s is LlmSystemResult => !!s);
  const page = m.pageBytes;
  return {
    rows: systems.map(llmRow),
    timelines: systems.map((s) => ({
      workload: 'llm', trace: 'azure', system: s.system,
      points: thin(s.kv).map((p) => ({ t: p.t, train: p.trainPages * page, infer: p.inferPages * page, free: p.freePages * page, kv: p.kvPages * page })),
    })),
    run: {
      workload: 'llm', trace: 'azure', device: m.device, backend: m.backend, date: m.date, arenaBytes: m.arenaBytes, pageBytes: page,
      inference: `${m.model.split('/').pop()} (${(m.modelBytes / 2 ** 20).toFixed(0)} MiB), paged KV cache of ${m.blockTokens}-token blocks, batch <= ${m.maxBatch}, context ${m.maxContext}; SLO TTFT ${m.slo.ttftMs.toFixed(1)} ms, TBT ${m.slo.tbtMs.toFixed(1)} ms`,
      training: m.training ?? `MLP ${m.trainLayers.join('-')}`, durationS: m.durationS, requests: m.requests, command: m.command,
    },
  };
}

/** The reports of one evaluation (any mix of vision traces and LLM runs) as one ScaleReport. */
export function scaleReport(reports: (RunReport | LlmRunReport)[], meta: ScaleReport['meta']): ScaleReport {
  const parts = reports.map((r) => ('trace' in r.meta ? fromVision(r as RunReport) : fromLlm(r as LlmRunReport)));
  return { meta, runs: parts.map((p) => p.run), rows: normalise(parts.flatMap((p) => p.rows)), timelines: parts.flatMap((p) => p.timelines) };
}
