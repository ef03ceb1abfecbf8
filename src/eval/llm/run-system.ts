// One system of the LLM evaluation, start to end: build its testbed, replay
// the scaled trace against its batcher in wall-clock time, sample the KV
// pages and the arena's owners every ~100 ms, and measure training beside it.
import type { GpuDevice } from '../../core/device.js';
import { replay, type LlmRequest, type Slo } from '../../llm/workload.js';
import type { Dataset } from '../../train/data.js';
import { SystemRunError } from '../errors.js';
import type { KvMark, KvSample, LlmSystemName, LlmSystemResult } from './result.js';
import { buildLlmTestbed, type LlmTestbed, type LlmTestbedSpec } from './testbed.js';

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
  handover: 'elastic KV: blocks that run out REQUIRE from training (shortfall + W), released when the burst ends',
  sp50: 'static partition: a fixed KV cap of 50% of Infer-Only\'s peak KV pages, the rest of the arena to training',
  sp75: 'static partition: a fixed KV cap of 75% of Infer-Only\'s peak KV pages, the rest of the arena to training',
  'infer-only': 'no training: the whole arena is inference\'s (upper bound for inference)',
};

const round2 = (v: number) => Math.round(v * 100) / 100;

function sampler(bed: LlmTestbed, t0: number, out: KvSample[]): () => void {
  return () => {
    const s = bed.system.arena.stats();
    const kv = bed.generation.cache.stats();
    out.push({ t: (performance.now() - t0) / 1000, kvPages: kv.pages, kvBlocks: kv.liveBlocks, trainPages: s.train, inferPages: s.infer, freePages: s.free, trainLimitPages: s.trainLimit });
  };
}

export async function runLlmSystem(dev: GpuDevice, input: LlmSystemRunInput): Promise<LlmSystemResult> {
  const { system } = input;
  const bed = await buildLlmTestbed(dev, system, input.spec, input.data, input.kvCapPages ?? null);
  const { batcher } = bed.generation;
  const { trainer } = bed.system;
  const kv: KvSample[] = [];
  const samples0 = trainer?.stats.samples ?? 0;
  const discards0 = trainer?.stats.discards ?? 0;
  const t0 = performance.now();
  const decisions0 = bed.system.decisions.entries.length;
  const sample = sampler(bed, t0, kv);
  sample();
  const timer = setInterval(sample, input.sampleMs ?? 100);
  let missed = 0;
  let report;
  try {
    report = await replay(batcher, input.requests, input.slo, {
      timeScale: input.timeScale,
      onEnd: (r, done, total) => {
        if (r === null || r.ttftMs > input.slo.ttftMs) missed++;
        const train = trainer ? `, train ${(((trainer.stats.samples - samples0) * 1000) / (performance.now() - t0)).toFixed(0)} samples/s` : '';
        input.onProgress?.(done, total, `${done}/${total} req, TTFT ${((100 * (done - missed)) / done).toFixed(1)}% in SLO, KV ${bed.generation.cache.stats().pages} pages${train}`);
      },
    });
  } catch (e) {
    clearInterval(timer);
    await bed.system.destroy();
    throw new SystemRunError(system, 'drive', (e as Error).message);
  }
  clearInterval(timer);
  sample();
  const wallS = (performance.now() - t0) / 1000;
  const trainSamples = (trainer?.stats.samples ?? 0) - samples0;
  const trainDiscards = (trainer?.stats.discards ?? 0) - discards0;
  const jobError = bed.system.job?.error ?? null;
  const m = batcher.metrics;
  await bed.system.destroy();
  if (jobError) throw new SystemRunError(system, 'training', String((jobError as Error).message ?? jobError));
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
    peakKvPages,
    peakKvBlocks: Math.max(0, ...kv.map((s) => s.kvBlocks)),
    trainSamples,
    trainSamplesPerSec: trainSamples / wallS,
    trainDiscards,
    wallS,
    ttftMs: report.samples.ttftMs.map(round2),
    tbtMs: report.samples.tbtMs.map(round2),
    kv,
    marks: bed.system.decisions.since(decisions0).filter((d) => d.kind === 'require' || d.kind === 'release').map((d) => ({ t: (d.t - t0) / 1000, kind: d.kind as KvMark['kind'], bytes: d.pages * bed.system.arena.pageBytes })),
  };
}
