// The vision workload of the evaluation's runner (runner.ts): build the
// system, play the trace through its request path (admit, hold training, run,
// resume, complete) with the trace driver, sample
// the arena's owners every ~100 ms, and measure training beside it.
import type { GpuDevice } from '../core/device.js';
import { arrivalSleepFor, drive, quantile } from '../sched/driver.js';
import type { RequestStages } from '../sched/request.js';
import { systemPolicy, type SystemName, type Tuned } from '../sched/systems.js';
import type { Trace } from '../sched/traces.js';
import { predict } from '../sched/tune.js';
import type { Dataset } from '../train/data.js';
import type { ArchitectureTiming } from './calibrate.js';
import { SystemRunError } from './errors.js';
import { playOnSystem, trainedSince } from './runner.js';
import type { HandoverMark, MemorySample, StageTimes, SystemResult } from './result.js';
import { HostSpans, instrumentSystem, type HostSpanReport } from './host-spans.js';
import { HostLoad, type HostLoadReport } from './host-load.js';
import { stagesByArchitecture, throughputByMicroBatch } from './serving-detail.js';
import { Executor } from '../infer/executor.js';
import { architectureLabel, buildTestbed, type TestbedSpec } from './testbed.js';
import { touchOrder, warmUp, type WarmupResult } from './warmup.js';

export interface SystemRunInput {
  system: SystemName;
  trace: Trace;
  spec: TestbedSpec;
  timings: ArchitectureTiming[];
  tuned: Tuned;
  data: Dataset;
  sampleMs?: number;
  onProgress?: (done: number, total: number, detail: string) => void;
}

function p50(xs: number[]): number | null {
  return xs.length ? quantile([...xs].sort((a, b) => a - b), 0.5) : null;
}

/** The queueing model's view of a policy: (T_idle, W) and what it leaves out. */
function modelOfPolicy(system: SystemName, tuned: Tuned, totalBytes: number, arenaBytes: number): { tIdleS: number; watermarkBytes: number; note: string } {
  switch (system) {
    case 'handover':
      return { tIdleS: tuned.tIdleMs / 1000, watermarkBytes: tuned.watermarkBytes, note: 'per-model expiry chain, measured exec and load' };
    case 'naive':
      return { tIdleS: tuned.tIdleMs / 1000, watermarkBytes: tuned.watermarkBytes, note: 'same chain as handover: the wait for the batch is not in the model' };
    case 'taskswitch':
      return { tIdleS: 1, watermarkBytes: 0, note: 'T_idle 1 s, W 0: the switch (wait for the batch, reload) is not in the model' };
    case 'sp50':
    case 'sp75':
    case 'infer-only': {
      const share = system === 'sp50' ? 0.5 : system === 'sp75' ? 0.75 : 1;
      return { tIdleS: 1e6, watermarkBytes: Math.min(totalBytes, share * arenaBytes), note: 'models resident within the share (alpha from the share), never expire' };
    }
  }
}

export async function runSystem(dev: GpuDevice, input: SystemRunInput): Promise<SystemResult> {
  const { system, trace, spec, timings } = input;
  const policy = systemPolicy(system, input.tuned);
  let bed;
  try {
    bed = await buildTestbed(dev, policy, input.tuned, spec, input.data);
  } catch (e) {
    if (e instanceof SystemRunError) throw e;
    throw new SystemRunError(system, 'setup', (e as Error).message);
  }
  const { system: sys, instances, inputs } = bed;
  const { arena, core, trainer, trainerMemory } = sys;
  const page = arena.pageBytes;
  const timingOf = (model: string) => timings[instances.find((m) => m.name === model)!.architecture]!;
  const sloOf = (model: string) => timingOf(model).sloMs;
  for (const m of instances) bed.system.gate.slicing?.serve(m.name, sloOf(m.name));
  let warmup: WarmupResult | null = null;
  if (spec.warmup === 'touch') {
    try {
      warmup = await warmUp(sys, touchOrder(trace, instances.map((m) => m.name)), inputs, spec.warmupSettleMs);
    } catch (e) {
      await sys.destroy();
      throw new SystemRunError(system, 'warm-up', (e as Error).message);
    }
  }
  const archOf = (model: string) => architectureLabel(spec, instances.find((m) => m.name === model)!.architecture);
  const graphsOf = (arch: string) => {
    const sum = { eager: 0, captures: 0, replays: 0, poolMoved: 0, workspaceMoved: 0 } as { eager: number; captures: number; replays: number; poolMoved: number; workspaceMoved: number; failure?: string };
    for (const m of instances.filter((i) => archOf(i.name) === arch)) {
      const g = sys.store.graphStats(m.name);
      sum.eager += g.eager;
      sum.captures += g.captures;
      sum.replays += g.replays;
      sum.poolMoved += g.poolMoved ?? 0;
      sum.workspaceMoved += g.workspaceMoved ?? 0;
      sum.failure ??= g.failure;
    }
    return sum;
  };
  const snapshot = () => new Map(instances.map((m) => archOf(m.name)).map((a) => [a, graphsOf(a)]));
  const graphs0 = snapshot();
  let graphs1 = graphs0; // taken when the trace is played, before the system is destroyed
  /** Runs issued in the measured window: the warm-up's eager runs and recordings are not counted. */
  const graphsSince = (arch: string) => {
    const [now, before] = [graphs1.get(arch)!, graphs0.get(arch)!];
    return { eager: now.eager - before.eager, captures: now.captures - before.captures, replays: now.replays - before.replays,
      poolMoved: now.poolMoved - before.poolMoved, workspaceMoved: now.workspaceMoved - before.workspaceMoved, ...(now.failure ? { failure: now.failure } : {}) };
  };
  const memory: MemorySample[] = [];
  const training: { t: number; samples: number }[] = [];
  const trainMicroBatch: { t: number; samples: number; microBatch: number }[] = [];
  const reports0 = trainerMemory?.reports.length ?? 0;
  const waits0 = trainerMemory?.waitedMs.length ?? 0;
  const samples0 = trainer?.stats.samples ?? 0;
  const logCursor = core.log.since(0).next;
  const spare0 = core.stats.spareRequires;
  let missed = 0;
  const stages = new Map<number, RequestStages & { cold: boolean }>();
  const spans = new HostSpans();
  let host: HostSpanReport | undefined;
  instrumentSystem(spans, { device: sys.device, arena, gate: sys.gate, core, store: sys.store, trainer, executor: Executor.prototype });
  const load = new HostLoad();
  let hostLoad: HostLoadReport | null | undefined;
  spans.start();
  load.start();
  const run = await playOnSystem(system, sys, {
    sample: (_, t) => {
      const s = arena.stats();
      memory.push({ t, trainBytes: s.train * page, inferBytes: s.infer * page, freeBytes: s.free * page, trainLimitBytes: s.trainLimit * page });
      if (trainer) {
        training.push({ t, samples: trainer.stats.samples - samples0 });
        trainMicroBatch.push({ t: t * 1000, samples: trainer.stats.samples, microBatch: trainer.stats.paused ? 0 : trainer.stats.microBatch });
      }
    },
    play: (_, t0) =>
      drive(trace, core, instances.map((m) => m.name), async (m, index) => {
        const r = await sys.infer(m, inputs.get(m)!);
        stages.set(index, { ...r.stages, cold: r.admission.coldStart });
        return r.admission;
      }, {
        sloMs: Math.max(...timings.map((t) => t.sloMs)),
        tickMs: 50,
        sleep: arrivalSleepFor(sys.device),
        onRequest: (r, done, total) => {
          if (r.latencyMs > sloOf(r.model) || r.path === 'failed') missed++;
          input.onProgress?.(done, total, `${done}/${total} req, ${((100 * (done - missed)) / done).toFixed(1)}% in SLO${trainedSince(sys, samples0, t0)}`);
        },
      }).finally(() => {
        graphs1 = snapshot();
        host = spans.stop();
        hostLoad = load.stop();
      }),
  }, input.sampleMs).finally(() => {
    host ??= spans.stop();
    if (hostLoad === undefined) hostLoad = load.stop();
  });
  const { played: result, t0, wallS } = run;
  const trainSamples = run.training?.samples ?? 0;

  const events = core.log.since(logCursor).events;
  const marks: HandoverMark[] = events
    .filter((e) => e.kind === 'require' || e.kind === 'release' || e.kind === 'swap-out')
    .map((e) => ({ t: (e.t - t0) / 1000, kind: e.kind as HandoverMark['kind'], bytes: e.freedBytes ?? e.bytes, ms: e.ms }));
  const reports = trainerMemory?.reports.slice(reports0) ?? [];
  const waits = trainerMemory?.waitedMs.slice(waits0) ?? [];
  const requires = marks.filter((m) => m.kind === 'require').length;
  const releases = marks.filter((m) => m.kind === 'release').length;
  const records = result.records;
  const within = records.filter((r) => r.path !== 'failed' && r.latencyMs <= sloOf(r.model)).length;
  const sloCompliance = records.length ? within / records.length : 1;
  const warm = records.filter((r) => !r.coldStart && r.path !== 'failed').map((r) => r.latencyMs).sort((a, b) => a - b);

  // The queueing model beside the measurement: request-weighted exec, load and SLO of the instances.
  const modelBytes = instances.map((m) => Math.ceil(timingOf(m.name).bytes / page) * page);
  const mean = (f: (t: ArchitectureTiming) => number) => instances.reduce((s, m) => s + f(timingOf(m.name)), 0) / instances.length;
  const pm = modelOfPolicy(system, input.tuned, modelBytes.reduce((a, b) => a + b, 0), (arena.pageCount - spec.workspacePages) * page);
  let predicted: { compliance: number; coldStartRatio: number } | null = null;
  try {
    predicted = predict({ rates: trace.rates, modelBytes, execS: mean((t) => t.execMs) / 1000, loadS: mean((t) => t.loadMs) / 1000, sloS: mean((t) => t.sloMs) / 1000, expiry: 'model', tIdleS: pm.tIdleS, watermarkBytes: pm.watermarkBytes });
  } catch {
    predicted = null;
  }
  return {
    system,
    summary: sys.share ? `${policy.summary}; ${sys.share.what}` : policy.summary,
    requests: records.length,
    failed: result.failed,
    sloCompliance,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    warmP50Ms: warm.length ? quantile(warm, 0.5) : null,
    warmP99Ms: warm.length ? quantile(warm, 0.99) : null,
    coldStartRatio: result.coldStartRatio,
    trainSamples,
    trainSamplesPerSec: trainSamples / result.wallMs * 1000,
    wastedTrainS: (run.training?.wastedMs ?? 0) / 1000,
    microBatchS: (run.training?.microBatchMs ?? 0) / 1000,
    microBatchMin: run.training && Number.isFinite(run.training.microBatchMin) ? run.training.microBatchMin : null,
    microBatchMax: run.training ? run.training.microBatchMax : null,
    handovers: {
      count: requires + releases,
      requires,
      spareRequires: core.stats.spareRequires - spare0,
      releases,
      swapOuts: marks.filter((m) => m.kind === 'swap-out').length,
      closeMs: p50(reports.map((r) => r.closeMs)),
      discardMs: p50(reports.map((r) => r.discardMs)),
      reclaimMs: p50(reports.map((r) => r.reclaimMs)),
      totalMs: p50(reports.map((r) => r.totalMs)),
      totalP99Ms: reports.length ? quantile(reports.map((r) => r.totalMs).sort((a, b) => a - b), 0.99) : null,
      largestRequireBytes: Math.max(0, ...reports.map((r) => r.requestedBytes)),
      waitForBatchMs: p50(waits),
      discards: run.training?.discards ?? 0,
    },
    predictedCompliance: predicted?.compliance ?? null,
    predictedColdStartRatio: predicted?.coldStartRatio ?? null,
    complianceGapPts: predicted ? 100 * (sloCompliance - predicted.compliance) : null,
    predictionNote: pm.note,
    wallS,
    warmup,
    hostLoad: hostLoad ?? null,
    stages: stageTimes(records.flatMap((r) => {
      const st = stages.get(r.index);
      return st ? [{ ...st, lagMs: Math.max(0, r.latencyMs - st.admitMs - st.windowMs - st.runMs) }] : [];
    })),
    detail: {
      architectures: stagesByArchitecture(records.map((r) => ({ architecture: archOf(r.model), latencyMs: r.latencyMs, withinSlo: r.path !== 'failed' && r.latencyMs <= sloOf(r.model), sloMs: sloOf(r.model), stages: stages.get(r.index) })))
        .map((a) => ({ ...a, graphs: graphsSince(a.architecture) })),
      trainByMicroBatch: throughputByMicroBatch(trainMicroBatch),
      host,
      failures: failureCounts(records),
    },
    latenciesMs: records.map((r) => Math.round(r.latencyMs * 100) / 100),
    sloMs: records.map((r) => Math.round(sloOf(r.model) * 100) / 100),
    missedIndices: records.flatMap((r, i) => (r.path === 'failed' || r.latencyMs > sloOf(r.model) ? [i] : [])),
    memory,
    marks,
    training,
  };
}

/** Why requests failed: each distinct message (its numbers masked) with its count, most first. */
export function failureCounts(records: readonly { path: string; error?: string }[]): { error: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.path !== 'failed') continue;
    const key = (r.error ?? 'no message').replace(/\d+(\.\d+)?/g, 'N').slice(0, 300);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count);
}

/** P50 / P99 of each stage over the requests (null where none). */
export function stageTimes(stages: (RequestStages & { cold: boolean; lagMs: number })[]): StageTimes {
  const of = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length ? { p50Ms: quantile(v, 0.5), p99Ms: quantile(v, 0.99) } : null;
  };
  return {
    lag: of(stages.map((s) => s.lagMs)),
    admit: of(stages.map((s) => s.admitMs)),
    coldAdmit: of(stages.filter((s) => s.cold).map((s) => s.admitMs)),
    window: of(stages.map((s) => s.windowMs)),
    run: of(stages.map((s) => s.runMs)),
  };
}
