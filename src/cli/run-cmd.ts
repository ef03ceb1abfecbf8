// `handover run`: the evaluation. Measures each model's standalone
// latency (SLO = 4x), then plays one trace against each system in turn on a
// fresh arena, gate, trainer and model store on the same device, and writes
// DIR/report.json and DIR/report.html. `--workload llm` replays the Azure LLM
// trace against the KV model's continuous batch instead (src/eval/llm/).
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { SLICE_MODES, type SliceMode } from '../core/slicing.js';
import { DEFAULT_TESTBED, type TestbedSpec } from '../eval/testbed.js';
import { evaluate } from '../eval/evaluation.js';
import { runLlmWorkload } from '../eval/llm/command.js';
import { DEFAULT_LLM_TESTBED } from '../eval/llm/testbed.js';
import { effectiveBatchOf, GPT_JOB_FLAGS, gptFromFlags } from '../eval/train-job.js';
import { writeRunScaleReport } from '../eval/scale/index.js';
import { headline, writeReport } from '../eval/report.js';
import { SPREAD_NOTE, spreadLines } from '../eval/paired.js';
import { verdict } from '../eval/report-verdict.js';
import { loadAzureTrace } from '../sched/azure.js';
import { SchedParameterError } from '../sched/errors.js';
import { parseSystems } from '../sched/systems.js';
import { generateTrace, TRACE_KINDS, type Trace, type TraceKind } from '../sched/traces.js';
import { loadDigits } from '../train/data-node.js';
import { intFlag, parseFlags, readableFile, usage, type FlagSpec } from './args.js';
import { checkModelFile } from './model-check.js';
import { printJson } from './output.js';
import { openDevice } from './open-device.js';
import { ProgressBar } from './progress.js';

export const runSpec: FlagSpec = {
  workload: { type: 'string', default: 'vision', help: 'vision (MLP instances) or llm (the Azure LLM trace on the KV model, beside training)' },
  trace: { type: 'string', default: 'burst', help: 'light, heavy, burst, skewed (or azure)' },
  'trace-file': { type: 'string', help: 'play the Azure LLM trace from this path (read in place, never copied)' },
  systems: { type: 'string', help: 'comma-separated: handover, naive, sp50, sp75, taskswitch, infer-only (default handover,sp75,taskswitch; llm: handover,sp50,sp75,infer-only)' },
  duration: { type: 'number', default: 60, help: 'seconds of trace per system (after time scaling)', min: 0, above: true, max: 1_000_000 },
  out: { type: 'string', default: 'report', help: 'folder for report.json and report.html' },
  models: { type: 'number', default: DEFAULT_TESTBED.models, help: 'model instances', int: true, min: 1, max: 1000 },
  'model-file': { type: 'list', help: 'serve this ONNX file instead of the MLPs (repeat for several; each duplicated to --models instances), e.g. ../shared/models/squeezenet1_1.onnx' },
  arch: { type: 'list', help: 'an inference MLP architecture as widths, e.g. 64-256-256-10 (repeat for several; default two small MLPs)' },
  'train-layers': { type: 'string', default: DEFAULT_TESTBED.train.layers.join('-'), help: 'the training MLP widths' },
  'micro-batch': { type: 'number', help: `largest training micro-batch (default ${DEFAULT_TESTBED.train.microBatch}; llm ${DEFAULT_LLM_TESTBED.train.microBatch})`, int: true, min: 1, max: 65_536 },
  ...GPT_JOB_FLAGS,
  'arena-pages': { type: 'number', help: `arena size in pages (default ${DEFAULT_TESTBED.arenaPages}; llm ${DEFAULT_LLM_TESTBED.arenaPages})`, int: true, min: 8, max: 10_000_000 },
  'workspace-pages': { type: 'number', default: DEFAULT_TESTBED.workspacePages, help: "pages kept for inference activations (a request's workspace; raise it for the shared vision models)", int: true, min: 1, max: 10_000_000 },
  'page-kib': { type: 'number', default: DEFAULT_TESTBED.pageBytes / 1024, help: 'arena page size in KiB', min: 0.25, max: 1_048_576 },
  'priority-ms': { type: 'number', default: DEFAULT_TESTBED.priorityMs, help: 'hold training launches from a request until this long after the last request ends (the systems without time slicing)', min: 0, max: 3_600_000 },
  'burst-gap-ms': { type: 'number', default: DEFAULT_TESTBED.burstGapMs, help: 'time-sliced training (handover, naive) pauses while requests come closer than this on average (a burst); 0: never', min: 0, max: 3_600_000 },
  'share-rows': { type: 'number', default: DEFAULT_TESTBED.shareRows, help: 'compute sharing of handover and naive with --slice off on one queue: training micro-batch rows while inference runs', int: true, min: 1, max: 65_536 },
  slice: { type: 'string', default: DEFAULT_TESTBED.slice, help: 'time-sliced training for handover and naive: auto (on for one-queue devices: WebGPU), on (CUDA too), off', choices: ['auto', 'on', 'off'] },
  'slice-fraction': { type: 'number', default: DEFAULT_TESTBED.sliceFraction, help: 'share of the tightest SLO that the training work on the queue may take while requests run or are expected', min: 0, above: true, max: 1 },
  'expect-ms': { type: 'number', default: DEFAULT_TESTBED.expectMs, help: 'training stays sliced this long after a request (more are expected)', min: 0, max: 3_600_000 },
  'train-share': { type: 'number', default: DEFAULT_TESTBED.trainShare, help: 'compute sharing of handover and naive on CUDA: share of the SMs training keeps while inference runs (green contexts; 1 = all)', min: 0, above: true, max: 1 },
  warmup: { type: 'string', default: DEFAULT_TESTBED.warmup, help: 'before each system\'s measured window, alike for all: touch (each model requested once, then --warmup-settle-ms of settling; reported apart) or none (first-touch loads are measured)', choices: ['none', 'touch'] },
  'warmup-settle-ms': { type: 'number', default: DEFAULT_TESTBED.warmupSettleMs, help: 'with --warmup touch: how long the system settles (idle expiry, training refills) before the measured window', min: 0, max: 3_600_000 },
  repeat: { type: 'number', default: 1, help: 'rounds per system, order rotated each round; each system reports its median round', int: true, min: 1, max: 1000 },
  'max-in-flight': { type: 'number', default: DEFAULT_TESTBED.maxInFlight, help: "training kernels in flight at once (the gate's bound)", int: true, min: 1 },
  seed: { type: 'number', default: 1, help: 'trace and model seed', int: true, min: 0 },
  'time-scale': { type: 'number', default: 1, help: 'compress (>1) or stretch (<1) the trace in time', min: 0, above: true, max: 1_000_000 },
  't-idle-ms': { type: 'number', help: "handover policy T_idle: an idle model's memory goes back to training after this long (default: the tuner's choice for the trace, the instance count and the measured times, as handover tune does; the run's log says which)", min: 0, max: 3_600_000 },
  'idle-split': { type: 'string', default: 'on', help: "with the tuner's T_idle: on keeps a model whose measured cold start (pipelined, p90, plus 2.7 ms in the system) misses 80% of its SLO resident for ln(1/0.03) of its mean request gaps (capped by the memory that keeps from training), the others the tuner's T_idle; off: one T_idle for all", choices: ['on', 'off'] },
  'watermark-kib': { type: 'number', help: 'handover policy W in KiB (default: the tuner\'s, at least one model)', min: 0 },
  'handover-ms': { type: 'number', help: "training ms one handover costs, for the tuner's budget (default: measured before the run)", min: 0, max: 3_600_000 },
  tune: { type: 'boolean', default: false, help: "use the tuner's (T_idle, W) for this trace and the measured times exactly (W 0 included; the default raises W to one model)" },
  'slo-target': { type: 'number', default: 0.9, help: 'compliance target for the tuner', min: 0, above: true, max: 1 },
  model: { type: 'string', help: 'llm: the KV model (default test/fixtures/tiny_gpt_kv.onnx, else ../shared/models/tiny_gpt_kv.onnx)' },
  'max-context': { type: 'number', help: `llm: positions the trace's token counts are scaled to (default ${DEFAULT_LLM_TESTBED.maxContext}, at most the model's 512)`, int: true, min: 1, max: 1_000_000 },
  'max-batch': { type: 'number', help: `llm: most sequences in one step (default ${DEFAULT_LLM_TESTBED.maxBatch})`, int: true, min: 1, max: 65_536 },
  'block-tokens': { type: 'number', help: `llm: tokens per KV block (default ${DEFAULT_LLM_TESTBED.blockTokens})`, int: true, min: 1, max: 65_536 },
  'llm-arena': { type: 'string', help: "llm: fixed (every system in --arena-pages) or peak (Infer-Only in --arena-pages, the others in the smallest arena holding the decoder, its workspace, Infer-Only's KV peak and training at its least)", choices: ['fixed', 'peak'] },
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, ...the headline keyed by system}; progress goes to stderr' },
  help: { type: 'boolean', default: false, help: 'this text' },
};

function sliceMode(s: string): SliceMode {
  if (!(SLICE_MODES as readonly string[]).includes(s)) throw new UsageError(`--slice must be one of ${SLICE_MODES.join(', ')}, got '${s}'`);
  return s as SliceMode;
}

function widths(s: string, flag: string): number[] {
  const w = s.split('-').map(Number);
  if (w.length < 2 || w.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--${flag} must be layer widths like 64-256-10, got '${s}'`);
  return w;
}

function traceOf(flags: Record<string, unknown>, models: number): { trace: Trace; file: string | null } {
  const kind = String(flags.trace);
  const scale = Number(flags['time-scale']);
  const duration = Number(flags.duration);
  if (!(duration > 0)) throw new UsageError('--duration must be > 0 seconds');
  if (!(scale > 0)) throw new UsageError('--time-scale must be > 0');
  const file = flags['trace-file'] as string | undefined;
  if (kind === 'azure' || file) {
    const t = loadAzureTrace({ path: file, timeScale: scale, durationS: duration * scale, models, seed: Number(flags.seed) });
    return { trace: t, file: t.path };
  }
  if (!(TRACE_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--trace must be one of ${[...TRACE_KINDS, 'azure'].join(', ')}; got '${kind}'`);
  return { trace: generateTrace({ kind: kind as TraceKind, seed: Number(flags.seed), durationS: duration * scale, models, timeScale: scale }), file: null };
}

function systemsOf(list: string): ReturnType<typeof parseSystems> {
  try {
    return parseSystems(list);
  } catch (e) {
    if (e instanceof SchedParameterError) throw new UsageError(`--systems: unknown system '${String(e.value)}'; choose from ${e.expected}`);
    throw e;
  }
}

export async function runCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, runSpec);
  if (flags.help) {
    console.log(usage('run [flags]', runSpec));
    return 0;
  }
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const json = Boolean(flags.json);
  const say = (line: string) => (json ? console.error(line) : console.log(line));
  const workload = String(flags.workload);
  if (workload === 'llm') {
    let llmDev: GpuDevice | null = null;
    const head = await runLlmWorkload({
      flags, argv, say, openDevice: async () => (llmDev = await openDevice(String(flags.backend), say)),
      progress: (s, total) => new ProgressBar(s.padEnd(10), Math.max(25, Math.ceil(total / 10))),
    });
    if (json) printJson(llmDev, String(flags.backend), head);
    return 0;
  }
  if (workload !== 'vision') throw new UsageError(`--workload must be vision or llm, got '${workload}'`);
  for (const f of ['model', 'max-context', 'max-batch', 'block-tokens', 'llm-arena']) if (flags[f] !== undefined) throw new UsageError(`--${f} is for --workload llm`);
  const systems = systemsOf(String(flags.systems ?? 'handover,sp75,taskswitch'));
  for (const f of flags['model-file'] as string[]) checkModelFile(f, '--model-file');
  if (flags['trace-file'] !== undefined) readableFile(String(flags['trace-file']), '--trace-file');
  if (systems.length === 0) throw new UsageError('--systems names no system');
  const models = intFlag(flags, 'models');
  const archFlags = flags.arch as string[];
  const spec: TestbedSpec = {
    ...DEFAULT_TESTBED,
    models,
    pageBytes: Number(flags['page-kib']) * 1024,
    arenaPages: flags['arena-pages'] === undefined ? DEFAULT_TESTBED.arenaPages : intFlag(flags, 'arena-pages', 8),
    workspacePages: intFlag(flags, 'workspace-pages'),
    modelFiles: (flags['model-file'] as string[] | undefined) ?? [],
    architectures: archFlags.length ? archFlags.map((a) => widths(a, 'arch')) : DEFAULT_TESTBED.architectures,
    train: { ...DEFAULT_TESTBED.train, layers: widths(String(flags['train-layers']), 'train-layers'), microBatch: Number(flags['micro-batch'] ?? DEFAULT_TESTBED.train.microBatch), effectiveBatch: effectiveBatchOf(flags, DEFAULT_TESTBED.train.effectiveBatch) },
    gpt: gptFromFlags(flags),
    priorityMs: Number(flags['priority-ms']),
    shareRows: intFlag(flags, 'share-rows'),
    trainShare: Number(flags['train-share']),
    slice: sliceMode(String(flags.slice)),
    sliceFraction: Number(flags['slice-fraction']),
    expectMs: Number(flags['expect-ms']),
    burstGapMs: Number(flags['burst-gap-ms']),
    maxInFlight: Number(flags['max-in-flight']),
    seed: Number(flags.seed),
    warmup: String(flags.warmup) === 'touch' ? 'touch' : 'none',
    warmupSettleMs: Number(flags['warmup-settle-ms']),
  };
  if (!(spec.sliceFraction > 0 && spec.sliceFraction <= 1)) throw new UsageError(`--slice-fraction must be in (0, 1], got ${flags['slice-fraction']}`);
  if (!(spec.expectMs >= 0)) throw new UsageError(`--expect-ms must be >= 0, got ${flags['expect-ms']}`);
  if (!(spec.trainShare > 0 && spec.trainShare <= 1)) throw new UsageError(`--train-share must be in (0, 1], got ${flags['train-share']}`);
  const repeat = intFlag(flags, 'repeat');
  if (!Number.isInteger(spec.pageBytes) || spec.pageBytes % 256 !== 0) throw new UsageError('--page-kib must give a whole number of 256-byte blocks');
  const { trace, file } = traceOf(flags, models);
  const dev = await openDevice(String(flags.backend), say);
  if (spec.trainShare < 1 && !dev.info.capabilities.confine) {
    dev.destroy();
    throw new UsageError(`--train-share ${spec.trainShare} needs a device that can confine training to part of the GPU (CUDA green contexts); the ${dev.info.backend} backend cannot (on one queue, --share-rows shortens training kernels instead)`);
  }
  const tuned: { tIdleMs?: number; watermarkBytes?: number } | 'tuner' = flags.tune ? 'tuner' : {};
  if (flags['t-idle-ms'] !== undefined && tuned !== 'tuner') tuned.tIdleMs = Number(flags['t-idle-ms']);
  if (flags['watermark-kib'] !== undefined && tuned !== 'tuner') tuned.watermarkBytes = Number(flags['watermark-kib']) * 1024;
  say(`trace ${trace.name}: ${trace.arrivals.length} requests over ${trace.durationS.toFixed(0)} s (interval rates ${trace.rates.map((r) => r.toFixed(1)).join(', ')} req/s); systems ${systems.join(', ')}; device ${dev.info.name}`);
  const report = await evaluate(dev, {
    trace, traceFile: file, seed: Number(flags.seed), systems, spec, data: loadDigits(Number(flags.seed)).train,
    backend: String(flags.backend), command: `handover run ${argv.join(' ')}`, tuned, sloTarget: Number(flags['slo-target']),
    repeat,
    idleSplit: String(flags['idle-split']) === 'on',
    handoverMs: flags['handover-ms'] === undefined ? undefined : Number(flags['handover-ms']),
    log: say,
    onReport: (partial) => writeReport(String(flags.out), partial),
    progress: (s) => new ProgressBar(s.padEnd(10), Math.max(25, Math.ceil(trace.arrivals.length / 10))),
  });
  const paths = writeReport(String(flags.out), report);
  writeRunScaleReport(String(flags.out), report);
  const ran = Object.values(report.systems);
  if (ran.length > 1) {
    say(`verdict: ${verdict(ran)}`);
    const lines = spreadLines(ran);
    for (const line of lines) say(`  ${line}`);
    if (lines.length) say(`  ${SPREAD_NOTE}`);
  }
  say(`report: ${paths.html} and ${paths.json}`);
  if (json) printJson(dev, String(flags.backend), headline(report));
  return 0;
}
