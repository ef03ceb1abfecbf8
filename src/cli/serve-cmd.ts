// `handover serve --model NAME=FILE ...`: loads the models into inference
// pages of one arena and serves them over the KServe v2 HTTP protocol until
// SIGINT or SIGTERM.
import { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { ModelStore } from '../infer/store.js';
import { createServer } from '../serve/server.js';
import { drain } from '../serve/guard.js';
import { guardFlags, guardOptionsFromFlags } from '../serve/guard-flags.js';
import { startServeTraining } from '../colocate/serve-training.js';
import { ARENA_MB_MAX, intFlag, parseFlags, readableFile, usage, type FlagSpec } from './args.js';
import { checkListen } from './listen-check.js';
import { checkModelFile } from './model-check.js';
import { openDevice } from './open-device.js';

/** Default arena: this fraction of the largest buffer the device allows. */
const ARENA_FRACTION = 0.25;

export const serveSpec: FlagSpec = {
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  port: { type: 'number', default: 8000, help: 'TCP port (0: any free port)', int: true, min: 0, max: 65_535 },
  host: { type: 'string', default: '127.0.0.1', help: 'address to listen on' },
  model: { type: 'list', help: 'NAME=FILE of an ONNX model to serve; repeatable' },
  'arena-mb': { type: 'number', help: `arena size in MiB (default: ${ARENA_FRACTION} of the device's largest buffer)`, min: 0, above: true, max: ARENA_MB_MAX },
  'body-limit-mb': { type: 'number', default: 32, help: 'largest request body in MiB (larger ones get 413)', min: 0, above: true, max: 4096 },
  'max-runs': { type: 'number', default: 1, help: 'engine calls in flight at once; the rest queue', int: true, min: 1, max: 1024 },
  pipelined: { type: 'boolean', default: false, help: 'load layer k+1 while layer k runs' },
  train: { type: 'string', help: 'train an MLP on this data set (digits or fashion-mnist) beside the models, handing memory over', choices: ['digits', 'fashion-mnist'] },
  'micro-batch': { type: 'number', default: 256, help: 'with --train: the largest micro-batch', int: true, min: 1, max: 65_536 },
  't-idle-ms': { type: 'number', default: 5000, help: 'with --train: a model idle this long goes to the reserve', min: 0, max: 86_400_000 },
  ...guardFlags,
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export interface ModelArg {
  name: string;
  file: string;
}

export function parseModelArgs(values: string[]): ModelArg[] {
  if (values.length === 0) throw new UsageError('give at least one --model NAME=FILE');
  const seen = new Set<string>();
  return values.map((v) => {
    const eq = v.indexOf('=');
    const name = v.slice(0, eq);
    const file = v.slice(eq + 1);
    if (eq <= 0 || file === '') throw new UsageError(`--model wants NAME=FILE, got '${v}'`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`model name '${name}' may hold only letters, digits, '_', '.', '-'`);
    if (seen.has(name)) throw new UsageError(`model name '${name}' given twice`);
    readableFile(file, `model file (for '${name}')`);
    seen.add(name);
    return { name, file };
  });
}

export interface ServeHooks {
  /** Called with the address once listening (tests). */
  listening?: (url: string) => void;
  /** Resolves when the server should stop; default: SIGINT or SIGTERM. */
  stop?: Promise<unknown>;
}

export async function serveCommand(argv: string[], hooks: ServeHooks = {}): Promise<number> {
  const { flags, rest } = parseFlags(argv, serveSpec);
  if (flags.help) {
    console.log(usage('serve --model NAME=FILE [--model NAME=FILE ...] [flags]', serveSpec));
    return 0;
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const models = parseModelArgs(flags.model as string[]);
  const port = flags.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  const bodyLimit = Math.floor((flags['body-limit-mb'] as number) * (1 << 20));
  if (!(bodyLimit > 0)) throw new UsageError('--body-limit-mb must be positive');
  const maxRuns = intFlag(flags, 'max-runs');
  const guard = guardOptionsFromFlags(flags, String(flags.host));

  for (const m of models) checkModelFile(m.file, `model file (for '${m.name}')`);
  await checkListen(String(flags.host), port);
  const log = (l: string) => console.error(l);
  const device = await openDevice(String(flags.backend), log);
  let arena: Arena | undefined;
  try {
    arena = new Arena(device, { bytes: arenaBytes(device, flags['arena-mb'] as number | undefined), isolateModels: flags['isolate-models'] as boolean });
    log(`arena: ${arena.pageCount} pages of ${arena.pageBytes >> 10} KiB (${(arena.bytes / (1 << 20)).toFixed(0)} MiB) on ${device.info.name}`);
    // One bad model is reported and left out; the others are served (registering parses and checks, no GPU work).
    const probe = new ModelStore(arena);
    const served: ModelArg[] = [];
    for (const m of models) {
      try {
        probe.register(m.name, m.file);
        served.push(m);
      } catch (e) {
        log(`model ${m.name}: left out: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    if (served.length === 0) throw new UsageError('no model could be loaded (see the lines above)');
    const training = flags.train
      ? await startServeTraining(arena, served.map((m) => ({ name: m.name, file: m.file })), {
          dataset: String(flags.train), microBatch: flags['micro-batch'] as number, tIdleMs: flags['t-idle-ms'] as number,
        })
      : null;
    const store = training ? training.system.store : probe;
    for (const m of served) {
      if (training) {
        log(`model ${m.name}: ${m.file}, ${sizeText(store.get(m.name)!.bytes)} of weights, loaded on its first request`);
        continue;
      }
      const loaded = await store.load(m.name, { pipelined: flags.pipelined as boolean });
      log(`model ${m.name}: ${m.file}, ${sizeText(loaded.bytes)} of weights, loaded in ${loaded.loadMs.toFixed(1)} ms`);
    }
    if (training) log(`training: ${training.system.trainer!.config.layers.join('-')} MLP on ${flags.train} beside the models (handover policy)`);
    const app = createServer({ store: training?.store ?? store, arena, bodyLimit, maxConcurrentRuns: maxRuns, log, guard });
    const url = await app.listen({ port, host: String(flags.host) });
    const stop = hooks.stop ?? untilSignal();
    console.log(`handover serve: listening on ${url} (models: ${served.map((m) => m.name).join(', ')})`);
    hooks.listening?.(url);
    const why = await stop;
    log(`handover serve: ${typeof why === 'string' ? why : 'stop'}; closing`);
    const { cut } = await drain(app, guard.drainMs);
    if (cut > 0) log(`handover serve: closed ${cut} connections still open after ${guard.drainMs / 1000} s`);
    if (training) {
      await training.stop();
      const t = training.system.trainer!;
      log(`training: ${t.stats.samples} samples, ${t.stats.discards} discards, ${t.handovers.length} requires`);
    }
    for (const m of served) if (store.get(m.name)?.state === 'warm') await store.unload(m.name);
    return 0;
  } finally {
    arena?.destroy();
    device.destroy();
  }
}

function arenaBytes(device: GpuDevice, mb: number | undefined): number {
  if (mb === undefined) return Math.floor(device.info.limits.maxBackingBytes * ARENA_FRACTION);
  if (!(mb > 0)) throw new UsageError(`--arena-mb must be positive, got ${mb}`);
  return Math.floor(mb * (1 << 20));
}

function sizeText(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
