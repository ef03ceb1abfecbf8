// `handover tune --trace T`: choose (T_idle, W) with the queueing model for a
// trace and an SLO target, and print the predicted compliance; the choice is
// checked against the seeded simulation (same assumptions, and with
// deterministic execution, load and expiry, closer to a real GPU).
import { UsageError } from '../core/errors.js';
import { loadAzureTrace } from '../sched/azure.js';
import { replayPolicy, type ReplayResult } from '../sched/replay.js';
import { zipfTable } from '../sched/rng.js';
import { simulate, type Dist } from '../sched/simulate.js';
import { drawRates, generateTrace, TRACE_KINDS, ZIPF_EXPONENT, type Trace, type TraceKind } from '../sched/traces.js';
import { tune, tuneWithHandovers, type TuneCandidate } from '../sched/tune.js';
import { parseFlags, readableFile, usage, type FlagSpec } from './args.js';
import { printJson } from './output.js';

export const tuneSpec: FlagSpec = {
  trace: { type: 'string', default: 'burst', help: 'light, heavy, burst, skewed or azure', choices: ['light', 'heavy', 'burst', 'skewed', 'azure'] },
  'trace-file': { type: 'string', help: 'the Azure LLM trace (default ../shared/data next to the package)' },
  seed: { type: 'number', default: 1, help: 'trace seed', int: true, min: 0 },
  duration: { type: 'number', default: 300, help: 'trace seconds (before time scaling)', min: 0, above: true, max: 10_000_000 },
  'time-scale': { type: 'number', default: 1, help: 'compress the trace in time by this factor', min: 0, above: true, max: 1_000_000 },
  'exec-ms': { type: 'number', default: 5, help: 'mean standalone execution time of a request, ms', min: 0, above: true, max: 3_600_000 },
  'slo-ms': { type: 'number', help: 'SLO on the response time, ms (default 4x --exec-ms)', min: 0, above: true, max: 3_600_000 },
  'load-ms': { type: 'number', default: 50, help: 'mean cold start (re-initialisation) time L, ms', min: 0, max: 3_600_000 },
  'model-bytes': { type: 'number', default: 64 * 2 ** 20, help: 'bytes of one model instance', int: true, min: 1 },
  models: { type: 'number', default: 8, help: 'model instances', int: true, min: 1, max: 10_000 },
  'slo-target': { type: 'number', default: 0.9, help: 'SLO compliance to reach (a fraction)', min: 0, above: true, max: 1 },
  'max-queue': { type: 'number', default: 400, help: 'chain truncation (most requests in the system)', int: true, min: 1, max: 100_000 },
  'handover-ms': { type: 'number', default: 15, help: 'training time one handover costs (stall plus discarded micro-batch), ms', min: 0, max: 3_600_000 },
  'max-train-share': { type: 'number', default: 0.01, help: 'most training time handovers may take, a fraction (0 to skip the handover budget)', min: 0, max: 1 },
  expiry: { type: 'string', default: 'server', help: "'server' (the design's chain: a model expires when the server idles T_idle) or 'model' (each model's own T_idle)", choices: ['server', 'model'] },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device: null, backend: null, ...the choice} (tune opens no device)' },
  help: { type: 'boolean', default: false, help: 'this text' },
};

const MiB = 2 ** 20;

function simulateChoice(c: TuneCandidate, rates: number[], execS: number, loadS: number, sloS: number, maxQueue: number, dist: Dist, shares?: number[]): number {
  // Per-model expiry: the chain takes T_idle as fixed already; only execution and load are exponential.
  const expiry: Dist = shares ? 'deterministic' : dist;
  let met = 0;
  let weight = 0;
  rates.forEach((lambda, i) => {
    if (!(lambda > 0)) return;
    const r = simulate({ lambda, mu: 1 / execS, alpha: c.alpha, loadS, tIdleS: c.tIdleS, sloS, maxQueue, seed: 1000 + i, requests: 20_000, exec: dist, load: dist, expiry, shares });
    met += lambda * r.compliance;
    weight += lambda;
  });
  return met / weight;
}

export async function tuneCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, tuneSpec);
  if (flags.help) {
    console.log(usage('tune [flags]', tuneSpec));
    return 0;
  }
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const kind = String(flags.trace);
  if (flags['trace-file'] !== undefined) readableFile(String(flags['trace-file']), '--trace-file');
  const execS = Number(flags['exec-ms']) / 1000;
  const sloS = (flags['slo-ms'] === undefined ? 4 * Number(flags['exec-ms']) : Number(flags['slo-ms'])) / 1000;
  const loadS = Number(flags['load-ms']) / 1000;
  const models = Number(flags.models);
  const modelBytes = Number(flags['model-bytes']);
  const maxQueue = Number(flags['max-queue']);
  const scale = Number(flags['time-scale']);
  if (!(execS > 0) || !(sloS > 0) || !(loadS >= 0)) throw new UsageError('--exec-ms and --slo-ms must be > 0, --load-ms >= 0');
  if (!Number.isInteger(models) || models < 1 || !(modelBytes > 0)) throw new UsageError('--models must be a positive integer and --model-bytes > 0');
  if (!(scale > 0)) throw new UsageError('--time-scale must be > 0');
  const expiry = String(flags.expiry);
  if (expiry !== 'server' && expiry !== 'model') throw new UsageError(`--expiry must be 'server' or 'model', got '${expiry}'`);

  let rates: number[];
  let shares: number[] | undefined;
  let trace: Trace;
  if (kind === 'azure') {
    trace = loadAzureTrace({ path: flags['trace-file'] as string | undefined, timeScale: scale, durationS: Number(flags.duration), models, seed: Number(flags.seed) });
    rates = trace.rates;
  } else if ((TRACE_KINDS as readonly string[]).includes(kind)) {
    rates = drawRates(kind as TraceKind, Math.ceil(Number(flags.duration) / 20), Number(flags.seed)).rates.map((r) => r * scale);
    trace = generateTrace({ kind: kind as TraceKind, seed: Number(flags.seed), durationS: Number(flags.duration), models, timeScale: scale });
    if (kind === 'skewed') {
      const z = zipfTable(models, ZIPF_EXPONENT);
      shares = Array.from(z, (c, i) => c - (i > 0 ? z[i - 1]! : 0));
    }
  } else throw new UsageError(`--trace must be one of ${[...TRACE_KINDS, 'azure'].join(', ')}; got '${kind}'`);

  const r = tune({ rates, modelBytes: new Array<number>(models).fill(modelBytes), modelShares: shares, execS, loadS, sloS, sloTarget: Number(flags['slo-target']), maxQueue, expiry });
  const sizes = new Array<number>(models).fill(modelBytes);
  const share = Number(flags['max-train-share']);
  const budgeted =
    share > 0
      ? await tuneWithHandovers(r, Number(flags['slo-target']), { handoverMs: Number(flags['handover-ms']), maxTrainShare: share }, (x) =>
          replayPolicy({ trace, modelBytes: sizes, tIdleS: x.tIdleS, watermarkBytes: x.watermarkBytes }),
        )
      : null;
  const c = budgeted ? budgeted.chosen : r.chosen;
  const simShares = expiry === 'model' ? (shares ?? new Array<number>(models).fill(1 / models)) : undefined;
  const simExp = simulateChoice(c, rates, execS, loadS, sloS, maxQueue, 'exponential', simShares);
  const simDet = simulateChoice(c, rates, execS, loadS, sloS, maxQueue, 'deterministic', simShares);
  // The policy itself on the trace: how often memory changes hands for this W and a few larger ones.
  const ws = [...new Set([c.watermarkBytes, modelBytes, 2 * modelBytes, 4 * modelBytes])].sort((a, b) => a - b);
  const replay: (ReplayResult & { watermarkBytes: number })[] = [];
  for (const w of ws) replay.push({ watermarkBytes: w, ...(await replayPolicy({ trace, modelBytes: new Array<number>(models).fill(modelBytes), tIdleS: c.tIdleS, watermarkBytes: w })) });
  const out = {
    trace: kind,
    expiry,
    seed: flags.seed,
    intervals: rates.length,
    meanRate: r.meanRate,
    execMs: execS * 1000,
    sloMs: sloS * 1000,
    loadMs: loadS * 1000,
    models,
    modelBytes,
    sloTarget: flags['slo-target'],
    met: r.met,
    tIdleS: c.tIdleS,
    watermarkBytes: c.watermarkBytes,
    alpha: c.alpha,
    predictedCompliance: c.compliance,
    coldStartRatio: c.coldStartRatio,
    inferenceBytes: c.inferenceBytes,
    truncationMass: c.truncationMass,
    bestCompliance: r.best.compliance,
    handoversPerSec: budgeted?.handoversPerSec ?? null,
    handoverTrainShare: budgeted?.trainShare ?? null,
    handoverBudgetMet: budgeted?.met ?? null,
    chainOnlyChoice: { tIdleS: r.chosen.tIdleS, watermarkBytes: r.chosen.watermarkBytes },
    simulatedCompliance: simExp,
    simulatedDeterministicCompliance: simDet,
    replay: replay.map((x) => ({ watermarkBytes: x.watermarkBytes, handoversPerSec: x.handoversPerSec, requires: x.requires, releases: x.releases, coldStartRatio: x.coldStartRatio, meanInferenceBytes: x.meanInferenceBytes })),
  };
  if (flags.json) {
    printJson(null, null, out);
    return 0;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`trace ${kind} (seed ${flags.seed}), ${expiry} expiry: ${rates.length} intervals, mean ${r.meanRate.toFixed(1)} req/s; exec ${out.execMs} ms, SLO ${out.sloMs} ms, cold start ${out.loadMs} ms`);
  console.log(`models: ${models} x ${(modelBytes / MiB).toFixed(0)} MiB = ${(r.totalModelBytes / MiB).toFixed(0)} MiB`);
  console.log(`chosen: T_idle = ${c.tIdleS} s, W = ${(c.watermarkBytes / MiB).toFixed(0)} MiB (alpha ${c.alpha.toFixed(3)})${r.met ? '' : `  [target ${pct(Number(flags['slo-target']))} unreachable: best is ${pct(r.best.compliance)}; cheapest within 0.5 pt of it]`}`);
  if (budgeted) {
    console.log(
      `handovers: ${budgeted.handoversPerSec.toFixed(3)}/s x ${flags['handover-ms']} ms = ${pct(budgeted.trainShare)} of training time (budget ${pct(share)}${budgeted.met ? '' : ', NOT met by any candidate tried'}; ${budgeted.replays} replays); the chain alone would pick T_idle = ${r.chosen.tIdleS} s, W = ${(r.chosen.watermarkBytes / MiB).toFixed(0)} MiB`,
    );
  }
  console.log(`predicted SLO compliance ${pct(c.compliance)}, cold starts ${pct(c.coldStartRatio)} of requests, inference holds ~${(c.inferenceBytes / MiB).toFixed(0)} MiB on average`);
  console.log(`simulation of the same assumptions: ${pct(simExp)}; with deterministic exec/load/expiry: ${pct(simDet)}`);
  console.log(`the core replayed on the trace at T_idle = ${c.tIdleS} s (instant loads, no queueing):`);
  for (const x of replay) {
    console.log(`  W ${(x.watermarkBytes / MiB).toFixed(0).padStart(5)} MiB: ${x.handoversPerSec.toFixed(3)} handovers/s (${x.requires} requires, ${x.releases} releases), cold starts ${pct(x.coldStartRatio)}, inference holds ${(x.meanInferenceBytes / MiB).toFixed(0)} MiB on average`);
  }
  if (c.truncationMass > 1e-6) console.log(`truncation: up to ${c.truncationMass.toExponential(2)} of the mass sits at the queue limit ${maxQueue} (overloaded intervals)`);
  return 0;
}
