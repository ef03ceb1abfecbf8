// The LLM workload of the evaluation's runner (../runner.ts): build the
// system, replay the scaled trace against its batcher in wall-clock time,
// sampling the KV pages and the arena's owners every ~100 ms.
import type { GpuDevice } from '../../core/device.js';
import { replay, type LlmRequest, type Slo } from '../../llm/workload.js';
import type { Dataset } from '../../train/data.js';
import { playOnSystem, trainedSince } from '../runner.js';
import type { KvMark, KvSample, LlmSystemName, LlmSystemResult } from './result.js';
import { buildLlmTestbed, type LlmTestbedSpec } from './testbed.js';
import { WasteLedger, type WasteSplit } from './waste.js';

export interface LlmSystemRunInput {
  system: LlmSystemName;
  spec: LlmTestbedSpec;
  data: Dataset;
  requests: LlmRequest[];
  slo: Slo;
  timeScale: number;
  /** Fixed KV capacity (pages) of a static partition. */
  kvCapPages?: number | null;
  sampleMs?: number;
  onProgress?: (done: number, total: number, detail: string) => void;
}

const SUMMARY: Record<LlmSystemName, string> = {
  handover: 'elastic KV: pages asked ahead at training\'s micro-batch boundary for each sequence\'s reach plus a reserve from the arriving demand; a REQUIRE only for what is needed now and missing; released lazily',
  sp50: 'static partition: a fixed KV cap of 50% of Infer-Only\'s peak KV pages, the rest of the arena to training',
  sp75: 'static partition: a fixed KV cap of 75% of Infer-Only\'s peak KV pages, the rest of the arena to training',
  'infer-only': 'no training: the whole arena is inference\'s (upper bound for inference)',
};

const round2 = (v: number) => Math.round(v * 100) / 100;

export async function runLlmSystem(dev: GpuDevice, input: LlmSystemRunInput): Promise<LlmSystemResult> {
  const { system } = input;
  const bed = await buildLlmTestbed(dev, system, input.spec, input.data, input.kvCapPages ?? null);
  const { batcher, cache } = bed.generation;
  const kv: KvSample[] = [];
  const samples0 = bed.system.trainer?.stats.samples ?? 0;
  let missed = 0;
  // What the micro-batches' wall time went to (GPU work or waiting), discarded and all.
  const trainer = bed.system.trainer;
  const ledger = trainer ? new WasteLedger(bed.system.gate) : null;
  if (trainer && ledger) {
    const prev = trainer.onMicroBatch;
    trainer.onMicroBatch = (m) => (prev?.(m), ledger.onMicroBatch(m));
    ledger.start();
  }
  const ended: { waste: WasteSplit | null } = { waste: null };
  const run = await playOnSystem(system, bed.system, {
    sample: (sys, t) => {
      const s = sys.arena.stats();
      const k = cache.stats();
      kv.push({ t, kvPages: k.pages, kvBlocks: k.liveBlocks, trainPages: s.train, inferPages: s.infer, freePages: s.free, trainLimitPages: s.trainLimit });
    },
    play: async (sys, t0) => {
      try {
        return await replay(batcher, input.requests, input.slo, {
          timeScale: input.timeScale,
          onEnd: (r, done, total) => {
            if (r === null || r.ttftMs > input.slo.ttftMs) missed++;
            input.onProgress?.(done, total, `${done}/${total} req, TTFT ${((100 * (done - missed)) / done).toFixed(1)}% in SLO, KV ${cache.stats().pages} pages${trainedSince(sys, samples0, t0)}`);
          },
        });
      } finally {
        ended.waste = ledger?.stop() ?? null;
      }
    },
  }, input.sampleMs);
  const { played: report, wallS, t0 } = run;
  const trainSamples = run.training?.samples ?? 0;
  const trainDiscards = run.training?.discards ?? 0;
  const m = batcher.metrics;
  const peakKvPages = Math.max(0, ...m.kvPages.map((p) => p[1]), ...kv.map((s) => s.kvPages));
  return {
    system,
    summary: SUMMARY[system],
    kvCapPages: system === 'sp50' || system === 'sp75' ? input.kvCapPages ?? null : null,
    requests: input.requests.length,
    completed: report.requests,
    failed: report.failed,
    errors: report.errors,
    ttft: report.ttft,
    tbt: report.tbt,
    ttftCompliance: report.ttftCompliance,
    tbtCompliance: report.tbtCompliance,
    tokensPerSec: report.tokensPerSec,
    queuedAtMinimum: m.queuedAtMinimum,
    preemptions: m.preemptions,
    stalls: m.stalls,
    requires: m.requires,
    releases: m.releases,
    requiredBytes: m.requiredBytes,
    yields: m.yields,
    yieldedBytes: m.yieldedBytes,
    deferredAdmissions: m.deferredAdmissions,
    deferralsExpired: m.deferralsExpired,
    maxDeferWaitMs: round2(m.maxDeferWaitMs),
    boundaryWaits: m.boundaryWaits,
    boundaryWaitMs: round2(m.boundaryWaitMs),
    requiresFor: { ...m.requiresFor },
    arenaPages: input.spec.arenaPages,
    peakKvPages,
    peakKvBlocks: Math.max(0, ...kv.map((s) => s.kvBlocks)),
    trainSamples,
    trainSamplesPerSec: trainSamples / wallS,
    trainDiscards,
    wastedTrainS: (run.training?.wastedMs ?? 0) / 1000,
    microBatchS: (run.training?.microBatchMs ?? 0) / 1000,
    microBatches: ended.waste?.microBatches,
    waste: ended.waste ?? undefined,
    wallS,
    ttftMs: report.samples.ttftMs.map(round2),
    tbtMs: report.samples.tbtMs.map(round2),
    kv,
    marks: run.decisions.filter((d) => d.kind === 'require' || d.kind === 'release').map((d) => ({ t: (d.t - t0) / 1000, kind: d.kind as KvMark['kind'], bytes: d.pages * bed.system.arena.pageBytes })),
  };
}
