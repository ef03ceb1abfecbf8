// `handover run --workload llm`: the flags of `handover run` read for the LLM
// workload (the Azure trace's arrivals and token counts replayed against the
// KV model's continuous batch beside training), then the evaluation and its
// report.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { defaultAzurePath, loadAzureTrace, packageRoot } from '../../sched/azure.js';
import { loadDigits } from '../../train/data-node.js';
import type { GpuDevice } from '../../core/device.js';
import { evaluateLlm } from './evaluation.js';
import { comparisons, llmHeadline, writeLlmReport } from './report.js';
import { LLM_SYSTEMS, type LlmSystemName } from './result.js';
import { DEFAULT_LLM_TESTBED, type LlmTestbedSpec } from './testbed.js';
import { kvShapeOf } from './kv-shape.js';
import { writeRunScaleReport } from '../scale/index.js';
import { effectiveBatchOf, gptFromFlags } from '../train-job.js';

/** The KV model: the one the repo ships as a test fixture, else ../shared/models. */
export function defaultKvModel(): string | null {
  const root = packageRoot();
  for (const p of [resolve(root, 'test', 'fixtures', 'tiny_gpt_kv.onnx'), resolve(root, '..', 'shared', 'models', 'tiny_gpt_kv.onnx')]) if (existsSync(p)) return p;
  return null;
}

export function parseLlmSystems(s: string): LlmSystemName[] {
  const names = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const n of names) if (!(LLM_SYSTEMS as readonly string[]).includes(n)) throw new UsageError(`--systems: '${n}' is not a system of the LLM workload; choose from ${LLM_SYSTEMS.join(', ')}`);
  if (names.length === 0) throw new UsageError('--systems names no system');
  return [...new Set(names)] as LlmSystemName[];
}

const positiveInt = (v: unknown, flag: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got ${v}`);
  return n;
};

export interface LlmRunArgs {
  flags: Record<string, unknown>;
  argv: string[];
  say: (line: string) => void;
  openDevice: () => Promise<GpuDevice>;
  progress: (system: string, total: number) => { update(done: number, total: number, detail: string): void; done(): void };
}

/** Reads the flags, runs the evaluation, writes the report; returns the headline (the --json line). */
export async function runLlmWorkload({ flags, argv, say, openDevice, progress }: LlmRunArgs): Promise<Record<string, unknown>> {
  const systems = parseLlmSystems(String(flags.systems ?? LLM_SYSTEMS.join(',')));
  const scale = Number(flags['time-scale']);
  const duration = Number(flags.duration);
  if (!(duration > 0)) throw new UsageError('--duration must be > 0 seconds');
  if (!(scale > 0)) throw new UsageError('--time-scale must be > 0');
  let file = flags['trace-file'] as string | undefined;
  if (!file) {
    const def = defaultAzurePath();
    if (!existsSync(def)) throw new UsageError(`--workload llm needs the Azure LLM trace: pass --trace-file PATH (looked for the default at ${def})`);
    file = def;
  } else if (!existsSync(file)) throw new UsageError(`--trace-file: no such file ${resolve(file)} (the Azure LLM trace is read by path, never copied into the project)`);
  const model = flags.model === undefined ? defaultKvModel() : resolve(String(flags.model));
  if (model === null) throw new UsageError(`--model: no KV model found in test/fixtures or ../shared/models (tiny_gpt_kv.onnx); pass --model PATH`);
  if (!existsSync(model)) throw new UsageError(`--model: no such file ${model}`);
  const d = DEFAULT_LLM_TESTBED;
  const pageBytes = Number(flags['page-kib'] ?? d.pageBytes / 1024) * 1024;
  const spec: LlmTestbedSpec = {
    ...d,
    modelPath: model,
    pageBytes,
    // W: --watermark-kib, else two pages of this run's page size (the default's 128 KiB was two 64 KiB pages: with
    // 2 MiB pages every KV page became its own require, each discarding training's micro-batch; LLM round 5).
    watermarkBytes: flags['watermark-kib'] !== undefined ? Number(flags['watermark-kib']) * 1024 : (d.watermarkBytes / d.pageBytes) * pageBytes,
    arenaPages: positiveInt(flags['arena-pages'] ?? d.arenaPages, 'arena-pages', 8),
    maxBatch: positiveInt(flags['max-batch'] ?? d.maxBatch, 'max-batch'),
    maxContext: positiveInt(flags['max-context'] ?? d.maxContext, 'max-context', 2),
    blockTokens: positiveInt(flags['block-tokens'] ?? d.blockTokens, 'block-tokens'),
    train: { ...d.train, microBatch: positiveInt(flags['micro-batch'] ?? d.train.microBatch, 'micro-batch'), effectiveBatch: effectiveBatchOf(flags, d.train.effectiveBatch) },
    gpt: gptFromFlags(flags),
    kv: kvShapeOf(model),
    priorityMs: Number(flags['priority-ms'] ?? d.priorityMs),
    maxInFlight: positiveInt(flags['max-in-flight'] ?? d.maxInFlight, 'max-in-flight'),
    seed: Number(flags.seed),
    arenaFit: flags['llm-arena'] === 'peak' ? 'peak' : 'fixed',
  };
  if (spec.maxContext > 1024) throw new UsageError(`--max-context must be <= 1024 (the KV models' positions: tiny_gpt_kv 512, gpt2_small_kv 1024), got ${spec.maxContext}`);
  if (!Number.isInteger(spec.pageBytes) || spec.pageBytes % 256 !== 0) throw new UsageError('--page-kib must give a whole number of 256-byte blocks');
  if (flags['train-layers'] !== undefined) {
    const w = String(flags['train-layers']).split('-').map(Number);
    if (w[0] !== 64 || w.length < 2 || w.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--train-layers must be widths like 64-256-10 (64 inputs: the digits), got '${flags['train-layers']}'`);
    spec.train = { ...spec.train, layers: w };
  }
  const t = loadAzureTrace({ path: file, timeScale: scale, durationS: duration * scale, seed: spec.seed });
  if (t.arrivals.length === 0) throw new UsageError(`the trace ${t.path} has no request in its first ${duration * scale} s`);
  const trace = t.arrivals.map((a) => ({ t: a.t, contextTokens: a.contextTokens, generatedTokens: a.generatedTokens }));
  const dev = await openDevice();
  say(`LLM trace ${t.path}: ${trace.length} requests over ${t.durationS.toFixed(0)} s (time scale ${scale}: ${(duration * scale).toFixed(1)} s of the trace); systems ${systems.join(', ')}; device ${dev.info.name}`);
  const report = await evaluateLlm(dev, {
    trace, traceFile: t.path, timeScale: scale, durationS: t.durationS, systems, spec, data: loadDigits(spec.seed).train, seed: spec.seed,
    backend: String(flags.backend), command: `handover run ${argv.join(' ')}`, log: say, progress,
    onReport: (partial) => writeLlmReport(String(flags.out), partial),
  });
  for (const [name, c] of Object.entries(comparisons(report)))
    say(`${name}: TTFT compliance ${c.ttftVsInferOnly === null ? '–' : (100 * c.ttftVsInferOnly).toFixed(1) + '%'} of Infer-Only's, TBT ${c.tbtVsInferOnly === null ? '–' : (100 * c.tbtVsInferOnly).toFixed(1) + '%'}; training ${c.trainVsSp75 === null ? '–' : c.trainVsSp75.toFixed(2) + 'x'} SP-75's`);
  const paths = writeLlmReport(String(flags.out), report);
  writeRunScaleReport(String(flags.out), report);
  say(`report: ${paths.html} and ${paths.json}`);
  return llmHeadline(report);
}
