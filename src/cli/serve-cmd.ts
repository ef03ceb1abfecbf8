// `handover serve --model NAME=FILE ...`: loads the models into inference
// pages of one arena and serves them over the KServe v2 HTTP protocol until
// SIGINT or SIGTERM.
import type { SliceMode } from '../core/slicing.js';
import { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { ModelStore } from '../infer/store.js';
import { createServer, serverParts } from '../serve/server.js';
import { startGrpc } from '../serve/grpc.js';
import { buildGenerative, decoderShape } from '../serve/generative.js';
import { systemGenerative, type GenerationSpec } from '../system/index.js';
import { NoTraining } from '../sched/systems.js';
import { checkPolicy, DEFAULT_LIMITS, DEFAULT_POLICY, PolicyError, type ServeLimits } from '../serve/model-policy.js';
import { RepositoryError, scanRepository } from '../serve/repository.js';
import type { RepositorySource } from '../serve/repository-routes.js';
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
  host: { type: 'string', default: '127.0.0.1', help: 'address to listen on (loopback unless told otherwise)' },
  'grpc-port': { type: 'number', help: 'also serve the KServe v2 GRPCInferenceService on this port (0: any free port); off unless given', int: true, min: 0, max: 65_535 },
  model: { type: 'list', help: 'NAME=FILE of an ONNX model to serve; repeatable' },
  'model-repository': { type: 'string', help: 'a Triton-style folder <repo>/<model>/<version>/model.onnx (+ config.json or config.pbtxt: max_batch_size, dynamic_batching, instance_group)' },
  'arena-mb': { type: 'number', help: `arena size in MiB (default: ${ARENA_FRACTION} of the device's largest buffer)`, min: 0, above: true, max: ARENA_MB_MAX },
  'body-limit-mb': { type: 'number', default: 32, help: 'largest request body in MiB (larger ones get 413)', min: 0, above: true, max: 4096 },
  'max-runs': { type: 'number', default: 1, help: 'engine calls in flight at once; the rest queue', int: true, min: 1, max: 1024 },
  'max-batch': { type: 'number', default: DEFAULT_POLICY.maxBatchSize, help: 'dynamic batching: most rows one engine run takes (1: off); requests for a model are batched along its batch dimension', int: true, min: 1, max: 65_536 },
  'max-queue-delay-ms': { type: 'number', default: DEFAULT_POLICY.maxQueueDelayMs, help: 'dynamic batching: how long a request may wait for others to join its batch', min: 0, max: 60_000 },
  'max-queue': { type: 'number', default: DEFAULT_POLICY.maxQueue, help: 'requests waiting per model, at most (more: 503 + Retry-After)', int: true, min: 1, max: 1_000_000 },
  'max-queue-per-client': { type: 'number', default: DEFAULT_POLICY.maxQueuePerClient, help: 'requests one client (x-client-id, else address) may have waiting per model (more: 429 + Retry-After)', int: true, min: 1, max: 1_000_000 },
  'deadline-ms': { type: 'number', default: DEFAULT_LIMITS.defaultDeadlineMs, help: 'a request still queued after this is dropped (503); a client may set its own with x-deadline-ms', min: 0, above: true, max: 3_600_000 },
  'max-request-rows': { type: 'number', default: DEFAULT_LIMITS.maxRequestRows, help: 'most rows (batch dimension) one request may ask for (more: 400)', int: true, min: 1, max: 1 << 20 },
  'max-response-mb': { type: 'number', default: DEFAULT_LIMITS.maxResponseBytes / (1 << 20), help: 'most MiB of output tensor data in one response (more: 400, checked before the run where the shapes tell)', min: 0, above: true, max: 1 << 14 },
  pipelined: { type: 'boolean', default: false, help: 'load layer k+1 while layer k runs' },
  train: { type: 'string', help: 'train an MLP on this data set (digits or fashion-mnist) beside the models, handing memory over', choices: ['digits', 'fashion-mnist'] },
  'micro-batch': { type: 'number', default: 256, help: 'with --train: the largest micro-batch', int: true, min: 1, max: 65_536 },
  't-idle-ms': { type: 'number', default: 5000, help: 'with --train: a model idle this long goes to the reserve', min: 0, max: 86_400_000 },
  slice: { type: 'string', default: 'auto', help: "with --train: time-sliced training while requests run or are expected: auto (one-queue devices: WebGPU), on (CUDA too: bounds what a REQUIRE waits for), off", choices: ['auto', 'on', 'off'] },
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
    console.log(usage('serve (--model NAME=FILE ... | --model-repository DIR) [flags]', serveSpec));
    return 0;
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const repoDir = flags['model-repository'] as string | undefined;
  const policy = asUsage(() => checkPolicy({
    ...DEFAULT_POLICY, maxBatchSize: flags['max-batch'] as number, maxQueueDelayMs: flags['max-queue-delay-ms'] as number,
    maxQueue: flags['max-queue'] as number, maxQueuePerClient: flags['max-queue-per-client'] as number, instanceCount: intFlag(flags, 'max-runs'),
  }));
  const limits = serveLimits(flags);
  const repo = repoDir ? asUsage(() => scanRepository(repoDir, policy, (l) => console.error(l))) : [];
  const models = [...((flags.model as string[]).length > 0 || repo.length === 0 ? parseModelArgs(flags.model as string[]) : []), ...repo];
  const twice = models.find((m, i) => models.findIndex((n) => n.name === m.name) !== i);
  if (twice) throw new UsageError(`model name '${twice.name}' given twice (--model and --model-repository)`);
  const port = flags.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  const bodyLimit = Math.floor((flags['body-limit-mb'] as number) * (1 << 20));
  if (!(bodyLimit > 0)) throw new UsageError('--body-limit-mb must be positive');
  const maxRuns = intFlag(flags, 'max-runs');
  // Before any device opens: each model file is read and parsed (a bad one is left out, said in one
  // line; none left is a user error), then the listen address, then the guard's rules for it.
  const bad = new Map<ModelArg, unknown>();
  for (const m of models) {
    try {
      checkModelFile(m.file, `model file (for '${m.name}')`);
    } catch (e) {
      bad.set(m, e);
    }
  }
  const parsed = models.filter((m) => !bad.has(m));
  if (parsed.length === 0 && bad.size === 1) throw [...bad.values()][0];
  for (const [m, e] of bad) console.error(`model ${m.name}: left out: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  if (parsed.length === 0) throw new UsageError('no model could be loaded (see the lines above)');
  await checkListen(String(flags.host), port);
  const guard = guardOptionsFromFlags(flags, String(flags.host));
  const log = (l: string) => console.error(l);
  const device = await openDevice(String(flags.backend), log);
  let arena: Arena | undefined;
  try {
    arena = new Arena(device, { bytes: arenaBytes(device, flags['arena-mb'] as number | undefined), isolateModels: flags['isolate-models'] as boolean });
    log(`arena: ${arena.pageCount} pages of ${arena.pageBytes >> 10} KiB (${(arena.bytes / (1 << 20)).toFixed(0)} MiB) on ${device.info.name}`);
    // One bad model is reported and left out; the others are served (registering parses and checks, no GPU work).
    const probe = new ModelStore(arena, { concurrentRuns: maxRuns }); // --max-runs: several models' runs in flight
    const served: ModelArg[] = [];
    for (const m of parsed) {
      try {
        probe.register(m.name, m.file);
        served.push(m);
      } catch (e) {
        log(`model ${m.name}: left out: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    if (served.length === 0) throw new UsageError('no model could be loaded (see the lines above)');
    // With training, a KV-cache decoder is the system's generation side (its one KV cache, REQUIREs through the scheduler).
    const decoders = flags.train ? served.filter((m) => decoderShape(probe.get(m.name)!)) : [];
    if (decoders.length > 1) throw new UsageError(`serve --train colocates one KV-cache decoder with training, got ${decoders.length} (${decoders.map((m) => m.name).join(', ')}); serve the others without --train`);
    const beside = served.filter((m) => !decoders.includes(m));
    // Training takes every page it may: the runs' workspaces (one at --max-batch rows for each of --max-runs) are kept from it at the start.
    const runRows = flags['max-batch'] as number;
    const workspacePages = beside.length === 0 ? 0 : maxRuns * Math.max(...beside.map((m) => Math.ceil(probe.workspaceBytes(m.name, runRows) / arena!.pageBytes)));
    const training = flags.train
      ? await startServeTraining(arena, beside.map((m) => ({ name: m.name, file: m.file })), {
          dataset: String(flags.train), microBatch: flags['micro-batch'] as number, tIdleMs: flags['t-idle-ms'] as number, slice: flags.slice as SliceMode, workspacePages,
          generation: decoders[0] ? generationSpec(decoders[0], probe.get(decoders[0].name)!, arena.pageBytes) : undefined,
        })
      : null;
    const store = training ? training.system.store : probe;
    for (const m of served) {
      if (training) {
        const info = store.get(m.name)!;
        if (decoders.includes(m)) log(`model ${m.name}: ${m.file}, ${sizeText(info.bytes)} of weights, the system's decoder: loaded now, its KV cache in the arena beside training`);
        else log(`model ${m.name}: ${m.file}, ${sizeText(info.bytes)} of weights, loaded on its first request`);
        continue;
      }
      const loaded = await store.load(m.name, { pipelined: flags.pipelined as boolean });
      log(`model ${m.name}: ${m.file}, ${sizeText(loaded.bytes)} of weights, loaded in ${loaded.loadMs.toFixed(1)} ms`);
    }
    if (training) log(`training: ${training.system.trainer!.config.layers.join('-')} MLP on ${flags.train} beside the models (handover policy); ${training.system.workspacePages} pages kept for runs' workspaces (${maxRuns} run(s) at up to ${runRows} rows)`);
    const generative = training ? systemGenerative(training.system) : buildGenerative(store, arena, served.map((m) => m.name), new NoTraining());
    for (const name of generative.keys()) log(`model ${name}: a KV-cache decoder, also served at /v2/models/${name}/generate and /v1/completions`);
    const repository: RepositorySource = {
      dir: repoDir,
      entries: served.map((m) => ({ version: '1', ...m })),
      register: (e) => (store.register(e.name, e.file), training?.system.core.register(e.name)),
      release: training ? undefined : (name) => store.unload(name),
    };
    const app = createServer({ store: training?.store ?? store, arena, bodyLimit, maxConcurrentRuns: maxRuns, log, guard, generative, policy, limits, repository });
    const url = await app.listen({ port, host: String(flags.host) });
    const grpcPort = flags['grpc-port'] as number | undefined;
    const grpcServer = grpcPort === undefined ? null : await startGrpc(serverParts(app), String(flags.host), grpcPort);
    if (grpcServer) console.log(`handover serve: gRPC listening on ${String(flags.host)}:${grpcServer.port}`);
    const stop = hooks.stop ?? untilSignal();
    console.log(`handover serve: listening on ${url} (models: ${served.map((m) => m.name).join(', ')})`);
    hooks.listening?.(url);
    const why = await stop;
    log(`handover serve: ${typeof why === 'string' ? why : 'stop'}; closing`);
    await grpcServer?.stop();
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

/** The system's generation side for a decoder served beside training (the batcher's defaults: 16-token blocks, 8 sequences, W one page). */
function generationSpec(m: ModelArg, info: Parameters<typeof decoderShape>[0], pageBytes: number): GenerationSpec {
  const shape = decoderShape(info)!;
  return {
    name: m.name, modelFile: m.file, kv: shape.kv, vocab: shape.vocab, maxPositions: shape.maxPositions,
    blockTokens: 16, maxBatch: 8, maxContext: shape.maxPositions, watermarkBytes: pageBytes,
  };
}

/** The flag that sets each policy field. */
const POLICY_FLAG: Record<string, string> = {
  maxBatchSize: 'max-batch', maxQueueDelayMs: 'max-queue-delay-ms', maxQueue: 'max-queue', maxQueuePerClient: 'max-queue-per-client', instanceCount: 'max-runs',
};

/** A bad flag value or repository folder is the user's to fix: a usage error (exit 2), one line. */
function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(`--${POLICY_FLAG[e.field] ?? e.field} ${e.message.slice(e.field.length + 2)}`);
    if (e instanceof RepositoryError) throw new UsageError(e.message);
    throw e;
  }
}

function serveLimits(flags: Record<string, unknown>): ServeLimits {
  const positive = (k: string, max: number): number => {
    const v = flags[k] as number;
    if (!(v > 0 && v <= max)) throw new UsageError(`--${k} must be in (0, ${max}], got ${v}`);
    return v;
  };
  return {
    defaultDeadlineMs: positive('deadline-ms', 3_600_000),
    maxRequestRows: Math.floor(positive('max-request-rows', 1 << 20)),
    maxResponseBytes: Math.floor(positive('max-response-mb', 1 << 14) * (1 << 20)),
  };
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
