// The whole evaluation: measure each architecture standalone (SLO = 4x), choose
// the handover policy's (T_idle, W) with the queueing model for this trace and
// these measured times (unless given), then run each system in turn on a fresh
// testbed on the same device and collect the report.
import { detailLines } from './serving-detail.js';
import { hostSpanLines } from './host-spans.js';
import type { GpuDevice } from '../core/device.js';
import { replayPolicy } from '../sched/replay.js';
import type { SystemName, Tuned } from '../sched/systems.js';
import { observedRate, type Trace } from '../sched/traces.js';
import { tune, tuneWithHandovers } from '../sched/tune.js';
import type { Dataset } from '../train/data.js';
import { calibrate, type ArchitectureTiming } from './calibrate.js';
import { calibrateHandover } from './calibrate-handover.js';
import { hostLoadLine } from './host-load.js';
import { runPlace, type RoundSummary, type RunMeta, type RunReport, type StageTimes, type SystemResult } from './result.js';
import { runSystem } from './run-system.js';
import { modelInstances, type TestbedSpec } from './testbed.js';
import { COLD_START_OVERHEAD_MS, splitIdle } from './idle-policy.js';
import { jobLabel } from './train-job.js';
import type { WarmupResult } from './warmup.js';

export interface EvaluationInput {
  trace: Trace;
  traceFile: string | null;
  seed: number;
  systems: SystemName[];
  spec: TestbedSpec;
  data: Dataset;
  backend: string;
  command: string;
  /** Fixed policy parameters; when absent they are tuned for the trace. */
  tuned?: Partial<Tuned> | 'tuner';
  sloTarget?: number;
  /**
   * Rounds: every system runs this many times, the order rotated each round
   * (so slow drift of a shared machine does not favour one system); each
   * system reports its median-compliance round and all rounds.
   */
  repeat?: number;
  /**
   * With T_idle from the tuner: longer per model for the models whose measured
   * cold start misses their SLO (idle-policy.ts); default true.
   */
  idleSplit?: boolean;
  /** Training time one handover costs for the tuner's handover budget (ms; measured when absent). */
  handoverMs?: number;
  log?: (line: string) => void;
  /** After each system's run: the report so far (a run stopped later still leaves these). */
  onReport?: (report: RunReport) => void;
  progress?: (system: string) => { update(done: number, total: number, detail: string): void; done(): void };
}

/** Issue 21's training target under LIGHT (2x SP-75): what the cap on the long T_idle leaves training (idle-policy.ts). */
export const TRAIN_TARGET_LIGHT = 2;

export async function chooseTuned(trace: Trace, spec: TestbedSpec, timings: ArchitectureTiming[], input: Pick<EvaluationInput, 'tuned' | 'sloTarget' | 'handoverMs' | 'idleSplit'>): Promise<{ tuned: Tuned; source: string; predicted: number | null }> {
  const page = spec.pageBytes;
  const inst = modelInstances(spec);
  const modelBytes = inst.map((m) => Math.ceil(timings[m.architecture]!.bytes / page) * page);
  const mean = (f: (t: ArchitectureTiming) => number) => inst.reduce((s, m) => s + f(timings[m.architecture]!), 0) / inst.length;
  const target = input.sloTarget ?? 0.9;
  const r = tune({ rates: trace.rates, modelBytes, execS: mean((t) => t.execMs) / 1000, loadS: mean((t) => t.loadMs) / 1000, sloS: mean((t) => t.sloMs) / 1000, sloTarget: target, expiry: 'model' });
  const b = await tuneWithHandovers(r, target, { handoverMs: input.handoverMs ?? 15, maxTrainShare: 0.01 }, (c) => replayPolicy({ trace, modelBytes, tIdleS: c.tIdleS, watermarkBytes: c.watermarkBytes }));
  const gapS = inst.length / Math.max(1e-9, observedRate(trace));
  const measured = `mean reload ${mean((t) => t.loadMs).toFixed(1)} ms + exec ${mean((t) => t.execMs).toFixed(1)} ms vs SLO ${mean((t) => t.sloMs).toFixed(1)} ms, a model's mean gap between requests ${gapS.toFixed(1)} s`;
  const tunerSays = `the tuner with the measured times (${measured}; per-model expiry, target ${(100 * target).toFixed(0)}%${r.met ? '' : ', unreachable'}, handover budget): T_idle ${b.chosen.tIdleS * 1000} ms, W ${(b.chosen.watermarkBytes / 1024).toFixed(0)} KiB, ${(100 * b.chosen.compliance).toFixed(1)}% predicted`;
  if (input.tuned === 'tuner') return { tuned: { tIdleMs: b.chosen.tIdleS * 1000, watermarkBytes: b.chosen.watermarkBytes }, source: tunerSays, predicted: b.chosen.compliance };
  const d = defaultPolicy(input.tuned, { tIdleMs: b.chosen.tIdleS * 1000, watermarkBytes: b.chosen.watermarkBytes }, Math.max(...modelBytes), tunerSays, b.chosen.compliance);
  if (input.idleSplit === false || input.tuned?.tIdleMs !== undefined) return d;
  // T_idle the tuner's: per model, longer for the models whose cold start misses their SLO (idle-policy.ts).
  const memory = { arenaBytes: spec.arenaPages * page, workspaceBytes: spec.workspacePages * page, trainTarget: TRAIN_TARGET_LIGHT };
  const split = splitIdle({ timings, instances: inst, baseMs: d.tuned.tIdleMs, gapS, memory, overheadMs: COLD_START_OVERHEAD_MS });
  return { tuned: { ...d.tuned, tIdleMsByModel: split.byModel }, source: `${d.source}; per model: ${split.note}`, predicted: null };
}

/**
 * The policy `handover run` uses: what the command line gives, the rest from
 * the tuner for this trace and instance count (at 56 models a fixed 1 s
 * T_idle sent a model to the reserve every ~0.4 s; the tuner chose 5-10 s).
 * W is at least one model: a cold start then takes the reserve and training
 * refills it at its next micro-batch boundary (nothing discarded), where W 0
 * makes every cold start a REQUIRE that may discard the running micro-batch.
 */
export function defaultPolicy(given: Partial<Tuned> | undefined, tuner: Tuned, largestModelBytes: number, tunerSays: string, predicted: number | null): { tuned: Tuned; source: string; predicted: number | null } {
  const tuned: Tuned = { tIdleMs: given?.tIdleMs ?? tuner.tIdleMs, watermarkBytes: given?.watermarkBytes ?? Math.max(tuner.watermarkBytes, largestModelBytes) };
  const parts = [given?.tIdleMs !== undefined ? 'T_idle given on the command line' : "T_idle the tuner's", given?.watermarkBytes !== undefined ? 'W given on the command line' : `W the tuner's, at least one model`];
  const exact = given?.tIdleMs === undefined && tuned.watermarkBytes === tuner.watermarkBytes;
  return { tuned, source: `${parts.join(', ')}; ${tunerSays}`, predicted: exact ? predicted : null };
}

/** The round with the median compliance (the lower middle of an even count), with every round's headline. */
export function medianRound(rs: SystemResult[]): SystemResult {
  if (rs.length === 1) return rs[0]!;
  const rounds: RoundSummary[] = rs.map((r, round) => ({ round: round + 1, sloCompliance: r.sloCompliance, p99Ms: r.p99Ms, trainSamplesPerSec: r.trainSamplesPerSec, ...(r.hostLoad ? { otherCores: r.hostLoad.otherCores, stealShare: r.hostLoad.stealShare } : {}) }));
  const mid = [...rs].sort((a, b) => a.sloCompliance - b.sloCompliance)[(rs.length - 1) >> 1]!;
  return { ...mid, rounds };
}

export async function evaluate(dev: GpuDevice, input: EvaluationInput): Promise<RunReport> {
  const log = input.log ?? (() => {});
  const { trace, spec } = input;
  const timings = await calibrate(dev, spec);
  for (const t of timings) log(`standalone ${t.label} (${(t.bytes / 1024).toFixed(0)} KiB): exec ${t.execMs.toFixed(2)} ms (p90 ${t.execP90Ms.toFixed(2)}), load ${t.loadMs.toFixed(2)} ms, pipelined cold start ${t.coldMs?.toFixed(2)} ms (p90 ${t.coldP90Ms?.toFixed(2)}) -> SLO ${t.sloMs.toFixed(1)} ms`);
  let handoverMs = input.handoverMs;
  let handoverCost = null;
  if (handoverMs === undefined) {
    handoverCost = await calibrateHandover(dev, spec, input.data, Math.max(...timings.map((t) => t.bytes)));
    handoverMs = handoverCost.handoverMs;
    log(`one handover costs training ${handoverMs.toFixed(1)} ms here (require ${handoverCost.requireMs.toFixed(2)} ms + half a micro-batch discarded ${handoverCost.wastedMs.toFixed(1)} ms; micro-batch ${handoverCost.microBatchMs.toFixed(1)} ms; ${handoverCost.count} requires while training ran alone discarded ${handoverCost.measuredWastedMs.toFixed(1)} ms each): the tuner's handover budget uses it`);
  }
  const choice = await chooseTuned(trace, spec, timings, { ...input, handoverMs });
  log(`handover policy: T_idle ${choice.tuned.tIdleMs} ms, W ${(choice.tuned.watermarkBytes / 1024).toFixed(0)} KiB (${choice.source})`);
  const rounds = input.repeat ?? 1;
  const runs = new Map<string, SystemResult[]>(input.systems.map((s) => [s, []]));
  const meta: RunMeta = {
    ...runPlace(dev, input.backend),
    trace: trace.name,
    traceFile: input.traceFile,
    seed: input.seed,
    durationS: trace.durationS,
    timeScale: trace.timeScale,
    meanRate: observedRate(trace),
    requests: trace.arrivals.length,
    models: spec.models,
    architectures: timings.map((t) => ({ label: t.label, bytes: t.bytes, execMs: t.execMs, loadMs: t.loadMs, coldMs: t.coldMs, coldP90Ms: t.coldP90Ms, sloMs: t.sloMs })),
    arenaBytes: spec.arenaPages * spec.pageBytes,
    pageBytes: spec.pageBytes,
    trainLayers: spec.train.layers,
    trainMicroBatch: spec.train.microBatch,
    training: jobLabel(spec.train, spec.gpt ?? null),
    handoverCost,
    rounds,
    tuned: { tIdleMs: choice.tuned.tIdleMs, watermarkBytes: choice.tuned.watermarkBytes, source: choice.source, predicted: choice.predicted },
    command: input.command,
    phases: trace.regimes.length ? { intervalS: trace.intervalS, regimes: trace.regimes, rates: trace.rates } : undefined,
  };
  /** Each system's median round among those run so far. */
  const sofar = () => Object.fromEntries([...runs].filter(([, rs]) => rs.length).map(([system, rs]) => [system, medianRound(rs)])) as Record<string, SystemResult>;
  for (let round = 0; round < rounds; round++) {
    const order = input.systems.map((_, i) => input.systems[(i + round) % input.systems.length]!);
    for (const system of order) {
      const label = rounds > 1 ? `${system} ${round + 1}/${rounds}` : system;
      const bar = input.progress?.(label);
      const r = await runSystem(dev, { system, trace, spec, timings, tuned: choice.tuned, data: input.data, onProgress: (d, t, s) => bar?.update(d, t, s) });
      bar?.done();
      runs.get(system)!.push(r);
      input.onReport?.({ meta, systems: sofar() });
      log(`${label}: SLO ${(100 * r.sloCompliance).toFixed(1)}% (predicted ${r.predictedCompliance === null ? '-' : (100 * r.predictedCompliance).toFixed(1) + '%'}), P50 ${r.p50Ms.toFixed(1)} ms, P99 ${r.p99Ms.toFixed(1)} ms (warm ${r.warmP50Ms?.toFixed(2) ?? '-'} / ${r.warmP99Ms?.toFixed(2) ?? '-'} ms), cold ${(100 * r.coldStartRatio).toFixed(1)}%, train ${r.trainSamplesPerSec.toFixed(0)} samples/s, ${r.handovers.count} handovers (${r.handovers.requires} requires, ${r.handovers.spareRequires ?? 0} from training's spare, ${r.handovers.discards} discards, ${r.handovers.releases} releases)${stageLine(r.stages)}${warmupLine(r.warmup)}`);
      if (r.detail) for (const line of detailLines(r.detail.architectures, r.detail.trainByMicroBatch)) log(line);
      log(`  ${hostLoadLine(r.hostLoad)}`);
      if (r.detail?.host) for (const line of hostSpanLines(r.detail.host)) log(line);
      for (const f of r.detail?.failures ?? []) log(`  failed requests: ${f.count} x ${f.error}`);
    }
  }
  const systems = sofar();
  return { meta, systems };
}

/** `; stages P50/P99 ms: lag 0.1/2.0, admit 0.0/12.3 (cold 40/80), window ..., run ...`, for the run's log line. */
export function stageLine(st: StageTimes | undefined): string {
  if (!st) return '';
  const f = (x: { p50Ms: number; p99Ms: number } | null) => (x ? `${x.p50Ms.toFixed(1)}/${x.p99Ms.toFixed(1)}` : '-');
  return `; stages P50/P99 ms: lag ${f(st.lag ?? null)}, admit ${f(st.admit)} (cold ${f(st.coldAdmit)}), window ${f(st.window)}, run ${f(st.run)}`;
}

/** `; warm-up: 56 requests (40 cold, loads P50/max 12/30 ms) in 3.1 s + 2.0 s settling`, for the run's log line. */
export function warmupLine(w: WarmupResult | null | undefined): string {
  if (!w) return '';
  const loads = w.loads ? `, ${w.loads} loads P50/max ${w.loadP50Ms!.toFixed(1)}/${w.loadMaxMs!.toFixed(1)} ms` : '';
  return `; warm-up (not measured): ${w.requests} requests (${w.coldStarts} cold${w.failed ? `, ${w.failed} failed` : ''}${loads}) in ${w.touchS.toFixed(1)} s + ${w.settleS.toFixed(1)} s settling`;
}
