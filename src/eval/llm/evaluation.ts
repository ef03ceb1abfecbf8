// The LLM evaluation: scale the trace's token counts to the model's context,
// measure one request alone (SLO = 4x the standalone TTFT and TBT averages),
// then replay the trace against each system in turn on a fresh testbed on the
// same device. Infer-Only runs first whenever a static partition is asked
// for: SP-50 / SP-75's KV caps are 50% / 75% of the KV pages it held at its
// peak; with arenaFit 'peak' the systems after it run in the contended arena
// sized from that peak (arena-size.ts). The elastic KV's deferral bound is a
// quarter of the TTFT SLO unless the spec gives one.
import type { GpuDevice } from '../../core/device.js';
import { percentiles, scaleRequests, standalone, type LlmRequest, type Slo, type TraceRequest } from '../../llm/workload.js';
import type { Dataset } from '../../train/data.js';
import { runPlace } from '../result.js';
import type { LlmRunMeta, LlmRunReport, LlmSystemName, LlmSystemResult } from './result.js';
import { runLlmSystem } from './run-system.js';
import { wasteText } from './waste.js';
import { buildLlmTestbed, type LlmTestbedSpec } from './testbed.js';
import { jobLabel } from '../train-job.js';
import { activationPages, allocationCapOf, contendedArena, evalTrainingModel, trainingMinimumPages } from './arena-size.js';

export const SLO_MULTIPLE = 4;
/** The elastic KV's deferral bound as a share of the TTFT SLO: an admission waits at most this for pages leaving training. */
export const DEFER_SLO_SHARE = 0.25;

export interface LlmEvaluationInput {
  /** Arrivals already time-scaled (seconds of wall clock from the start), with the trace's token counts. */
  trace: TraceRequest[];
  traceFile: string;
  timeScale: number;
  durationS: number;
  systems: LlmSystemName[];
  spec: LlmTestbedSpec;
  data: Dataset;
  seed: number;
  backend: string;
  command: string;
  log?: (line: string) => void;
  /** After each system's run: the report so far (a run stopped later still leaves these). */
  onReport?: (report: LlmRunReport) => void;
  progress?: (system: string, total: number) => { update(done: number, total: number, detail: string): void; done(): void };
}

const SHARE: Partial<Record<LlmSystemName, number>> = { sp50: 0.5, sp75: 0.75 };

/** The KV cap of a static partition: its share of Infer-Only's peak pages, at least one page. */
export function kvCap(system: LlmSystemName, inferOnlyPeakPages: number): number | null {
  const share = SHARE[system];
  return share === undefined ? null : Math.max(1, Math.floor(share * inferOnlyPeakPages));
}

/** The median request's prompt and output (at least 2 tokens, so it has a TBT). */
function typicalRequest(requests: LlmRequest[]): { prompt: number[]; maxTokens: number } {
  const p = percentiles(requests.map((r) => r.prompt.length)).p50;
  const o = percentiles(requests.map((r) => r.maxTokens)).p50;
  const like = requests.find((r) => r.prompt.length === p) ?? requests[0]!;
  return { prompt: like.prompt, maxTokens: Math.max(2, o) };
}

async function measureStandalone(dev: GpuDevice, spec: LlmTestbedSpec, data: Dataset, requests: LlmRequest[]): Promise<{ alone: Slo; modelBytes: number; decoderPages: number; workspacePages: number; blockBytes: number }> {
  const bed = await buildLlmTestbed(dev, 'infer-only', spec, data);
  try {
    const decoderPages = bed.system.arena.stats().infer; // the decoder alone: no KV page yet, the workspace freed
    const r = typicalRequest(requests);
    const alone = await standalone(bed.generation.gen, r.prompt, r.maxTokens, 3);
    return { alone, modelBytes: bed.generation.modelBytes, decoderPages, workspacePages: bed.generation.workspacePages, blockBytes: bed.generation.cache.blockBytes };
  } finally {
    await bed.system.destroy();
  }
}

export async function evaluateLlm(dev: GpuDevice, input: LlmEvaluationInput): Promise<LlmRunReport> {
  const log = input.log ?? (() => {});
  const { spec } = input;
  const { requests, scaling } = scaleRequests(input.trace, spec.maxContext, { seed: input.seed });
  log(`token scaling: ${scaling.text}`);
  const sized = await measureStandalone(dev, spec, input.data, requests);
  const slo: Slo = { ttftMs: SLO_MULTIPLE * sized.alone.ttftMs, tbtMs: SLO_MULTIPLE * sized.alone.tbtMs };
  log(`standalone (the median request alone): TTFT ${sized.alone.ttftMs.toFixed(1)} ms, TBT ${sized.alone.tbtMs.toFixed(1)} ms -> SLO TTFT ${slo.ttftMs.toFixed(1)} ms, TBT ${slo.tbtMs.toFixed(1)} ms`);
  const fit = spec.arenaFit === 'peak';
  const needsPeak = fit || input.systems.some((s) => SHARE[s] !== undefined);
  // The systems' spec: the deferral bound from the SLO; after Infer-Only, the contended arena when asked for.
  let runSpec: LlmTestbedSpec = { ...spec, maxDeferMs: spec.maxDeferMs ?? DEFER_SLO_SHARE * slo.ttftMs };
  let arenaSizing: string | undefined;
  const order: LlmSystemName[] = needsPeak ? ['infer-only', ...input.systems.filter((s) => s !== 'infer-only')] : [...input.systems];
  const systems: Partial<Record<LlmSystemName, LlmSystemResult>> = {};
  let peak: number | null = null;
  const span = input.trace.length ? Math.max(...input.trace.map((r) => r.t)) : 0;
  const metaNow = (): LlmRunMeta => ({
    ...runPlace(dev, input.backend),
    traceFile: input.traceFile,
    model: spec.modelPath,
    seed: input.seed,
    durationS: input.durationS,
    timeScale: input.timeScale,
    requests: requests.length,
    meanRate: requests.length / Math.max(input.durationS, span, 1e-9),
    scaling: scaling.text,
    scalingFactor: scaling.factor,
    maxContext: spec.maxContext,
    maxBatch: spec.maxBatch,
    blockTokens: spec.blockTokens,
    blockBytes: sized.blockBytes,
    arenaBytes: runSpec.arenaPages * spec.pageBytes,
    arenaSizing,
    maxDeferMs: runSpec.maxDeferMs,
    kvHorizonMs: runSpec.kvHorizonMs,
    pageBytes: spec.pageBytes,
    modelBytes: sized.modelBytes,
    workspacePages: sized.workspacePages,
    trainLayers: spec.train.layers,
    trainMicroBatch: spec.train.microBatch,
    training: jobLabel(spec.train, spec.gpt ?? null),
    standalone: sized.alone,
    slo,
    inferOnlyPeakKvPages: peak,
    command: input.command,
  });
  for (const system of order) {
    const cap = peak === null ? null : kvCap(system, peak);
    const bar = input.progress?.(system, requests.length);
    const r = await runLlmSystem(dev, { system, spec: runSpec, data: input.data, requests, slo, timeScale: 1, kvCapPages: cap, onProgress: (d, t, s) => bar?.update(d, t, s) });
    bar?.done();
    if (system === 'infer-only') {
      peak = r.peakKvPages;
      if (fit) {
        const model = evalTrainingModel(spec.train, spec.gpt ?? null);
        const alloc = allocationCapOf(dev, spec.pageBytes);
        const want = activationPages(model, spec.train.microBatch, spec.pageBytes, alloc) - activationPages(model, 1, spec.pageBytes, alloc);
        const c = contendedArena({ decoderPages: sized.decoderPages, workspacePages: sized.workspacePages, peakKvPages: peak, trainMinPages: trainingMinimumPages(model, spec.pageBytes, alloc), trainWantPages: want });
        runSpec = { ...runSpec, arenaPages: c.pages };
        arenaSizing = `${c.text} (Infer-Only ran in ${spec.arenaPages} pages)`;
        log(`contended ${arenaSizing}`);
      }
    }
    if (input.systems.includes(system)) systems[system] = r;
    input.onReport?.({ meta: metaNow(), systems });
    log(
      `${system}${cap !== null ? ` (KV cap ${cap} pages)` : ''}: TTFT P50 ${r.ttft.p50.toFixed(0)} P99 ${r.ttft.p99.toFixed(0)} ms, ${(100 * r.ttftCompliance).toFixed(1)}% in SLO; TBT P50 ${r.tbt.p50.toFixed(0)} P99 ${r.tbt.p99.toFixed(0)} ms, ${(100 * r.tbtCompliance).toFixed(1)}% in SLO; ` +
        `${r.completed}/${r.requests} done, ${r.failed} failed${r.errors.length ? ` (${r.errors.join('; ')})` : ''}, ${r.queuedAtMinimum} queued at the cap; peak KV ${r.peakKvPages} pages; ${r.requires} requires (${requiresFor(r)}; ${r.trainDiscards} discards, ${r.wastedTrainS.toFixed(1)} of ${(r.microBatchS ?? 0).toFixed(1)} s wasted), ${r.yields ?? 0} deferred requires, ${r.deferredAdmissions ?? 0} deferred admission steps (longest wait ${(r.maxDeferWaitMs ?? 0).toFixed(1)} ms of ${runSpec.maxDeferMs!.toFixed(1)}, ${r.deferralsExpired ?? 0} expired), ${r.boundaryWaits ?? 0} boundary waits (${(r.boundaryWaitMs ?? 0).toFixed(0)} ms), ${r.releases} releases; arena ${r.arenaPages ?? runSpec.arenaPages} pages; train ${r.trainSamplesPerSec.toFixed(0)} samples/s${input.systems.includes(system) ? '' : ' (run only to size the static partitions)'}`,
    );
    if (r.waste) log(`${system} micro-batches: ${wasteText(r.waste)}`);
  }
  return { meta: metaNow(), systems };
}

const requiresFor = (r: LlmSystemResult): string => (r.requiresFor ? `${r.requiresFor.admission} admission, ${r.requiresFor.block} next block, ${r.requiresFor.workspace} workspace` : 'causes not recorded');

