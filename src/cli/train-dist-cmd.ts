// `handover train-dist --gpus N`: data-parallel MLP training, one process
// per GPU, gradients summed with NCCL once per effective batch after the
// ranks agreed at the coordinator; optional per-GPU inference loads.
import { existsSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { addonPath } from '../devices/cuda/addon.js';
import { CudaUnavailableError } from '../devices/cuda/errors.js';
import type { GpuRankOptions, GpuRankResult } from '../parallel/gpu-rank.js';
import { launch, RankFailedError } from '../parallel/launch.js';
import { percentile } from '../train/run.js';
import { ARENA_MB_MAX, intFlag, parseFlags, usage, type FlagSpec } from './args.js';
import { printJson } from './output.js';

export const trainDistSpec: FlagSpec = {
  gpus: { type: 'number', default: 1, help: 'ranks, one process and one GPU each (ordinals 0..N-1)', int: true, min: 1, max: 64 },
  dataset: { type: 'string', default: 'synthetic', help: 'synthetic (32,768 x 784, seeded), digits or fashion-mnist', choices: ['synthetic', 'digits', 'fashion-mnist'] },
  layers: { type: 'string', default: '1024-1024', help: 'hidden layer sizes' },
  steps: { type: 'number', default: 200, help: 'optimizer steps (effective batches)', int: true, min: 1, max: 10_000_000 },
  'effective-batch': { type: 'number', default: 512, help: 'samples per optimizer step over all GPUs', int: true, min: 1, max: 1_000_000 },
  'micro-batch': { type: 'number', default: 128, help: 'largest micro-batch per GPU', int: true, min: 1, max: 65_536 },
  lr: { type: 'number', default: 0.05, help: 'SGD learning rate', min: 0, above: true, max: 10 },
  load: { type: 'string', default: 'none', help: 'inference per GPU: none, light, heavy, or heavy-light (GPU 0 HEAVY, the others LIGHT)', choices: ['none', 'light', 'heavy', 'heavy-light'] },
  mode: { type: 'string', default: 'agreement', help: "agreement (discard at once) or naive (a request waits for the effective batch on all GPUs)", choices: ['agreement', 'naive'] },
  redistribute: { type: 'boolean', default: true, help: 'split each effective batch by measured throughput (--redistribute=false: even)' },
  'infer-mb': { type: 'number', default: 0, help: 'MiB one inference request takes from training (0: the free memory and half of what training holds beyond its static state)', int: true, min: 0, max: ARENA_MB_MAX },
  'infer-work': { type: 'number', default: 8, help: 'matmuls per inference request', int: true, min: 0, max: 1_000_000 },
  'time-scale': { type: 'number', default: 1, help: 'trace compression (> 1: more requests per second)', min: 0, above: true, max: 1_000_000 },
  'arena-mb': { type: 'number', default: 128, help: 'arena per GPU, MiB', int: true, min: 1, max: ARENA_MB_MAX },
  'page-kb': { type: 'number', default: 2048, help: 'page size, KiB', int: true, min: 1, max: 1_048_576 },
  'reinit-at': { type: 'number', default: -1, help: 'after this step, ncclCommAbort and a new communicator (measures the last-resort recovery; -1: never)', int: true, min: -1 },
  seed: { type: 'number', default: 1, help: 'seed of data, order and initialisation', int: true, min: 0 },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, ...the summary}; progress goes to stderr' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export async function trainDistCommand(argv: string[]): Promise<number> {
  const { flags: f } = parseFlags(argv, trainDistSpec);
  if (f.help) {
    console.log(usage('train-dist', trainDistSpec));
    return 0;
  }
  const int = (k: string, min = 1) => intFlag(f, k, min);
  const gpus = int('gpus');
  const load = String(f.load);
  if (!['none', 'light', 'heavy', 'heavy-light'].includes(load)) throw new UsageError(`--load must be none, light, heavy or heavy-light`);
  const mode = String(f.mode);
  if (mode !== 'agreement' && mode !== 'naive') throw new UsageError(`--mode must be agreement or naive`);
  const dataset = String(f.dataset) as GpuRankOptions['dataset'];
  if (!['synthetic', 'digits', 'fashion-mnist'].includes(dataset)) throw new UsageError(`--dataset must be synthetic, digits or fashion-mnist`);
  const hidden = String(f.layers).split('-').map(Number);
  if (hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new UsageError(`--layers must look like 1024-1024`);
  const features = dataset === 'digits' ? 64 : 784;
  const rankLoad = (rank: number): GpuRankOptions['load'] => (load === 'heavy-light' ? (rank === 0 ? 'heavy' : 'light') : (load as GpuRankOptions['load']));
  const options = (rank: number): GpuRankOptions => ({
    rank, ranks: gpus, dataset, steps: int('steps'), load: rankLoad(rank), mode, redistribute: Boolean(f.redistribute),
    config: { layers: [features, ...hidden, 10], optimizer: 'sgd', lr: Number(f.lr), momentum: 0.9, weightDecay: 0, effectiveBatch: int('effective-batch'), microBatch: int('micro-batch'), seed: Number(f.seed) },
    arenaBytes: int('arena-mb') * 2 ** 20, pageBytes: int('page-kb') * 1024, inferBytes: int('infer-mb', 0) * 2 ** 20, inferWork: int('infer-work', 0),
    timeScale: Number(f['time-scale']), reinitAt: int('reinit-at', -1),
  });
  const addon = addonPath();
  if (!existsSync(addon)) throw new CudaUnavailableError(`train-dist runs on CUDA and the addon is not built (${addon}); run 'npm run build:cuda' on a machine with nvcc and an NVIDIA GPU`);
  console.error(`train-dist: ${gpus} GPU(s), ${features}-${hidden.join('-')}-10 MLP on ${dataset}, E=${f['effective-batch']}, load ${load}, ${mode}, redistribute ${f.redistribute}`);
  const results = await launch<GpuRankResult>({
    ranks: gpus,
    entry: new URL(`../parallel/gpu-rank.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
    options,
    env: () => ({ NCCL_RUNTIME_CONNECT: '0' }), // connect at init, not inside the first all-reduce
    log: (rank, line) => console.error(`train-dist: rank ${rank}: ${line}`),
  }).catch((e: unknown) => {
    // A rank that found no usable GPU or driver is the user's machine, not a bug: one line, exit 2.
    const m = e instanceof RankFailedError ? /^CudaUnavailableError: CUDA backend unavailable: (.*)$/.exec(e.reason) : null;
    throw m ? new CudaUnavailableError(`rank ${(e as RankFailedError).rank}: ${m[1]}; train-dist needs NVIDIA GPUs and their driver`) : e;
  });
  const samples = results.reduce((s, r) => s + r.samples, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const identical = results.every((r) => r.paramsSha256 === results[0]!.paramsSha256);
  const summary = {
    gpus, load, mode, redistribute: Boolean(f.redistribute), dataset, nccl: results[0]!.nccl,
    samplesPerSec: samples / seconds, seconds, loss: results.reduce((s, r) => s + r.loss, 0), identical, paramsSha256: results[0]!.paramsSha256,
    abortMs: results[0]!.abortMs, reinitMs: Math.max(...results.map((r) => r.reinitMs ?? NaN)),
    ranks: results.map((r) => ({
      rank: r.rank, device: r.device, samples: r.samples, discards: r.discards, lastShares: r.lastShares[r.rank],
      handovers: r.handoverMs.length, handoverP50Ms: percentile(r.handoverMs, 0.5), handoverP99Ms: percentile(r.handoverMs, 0.99),
      agreementWaitP50Ms: percentile(r.agreementWaitMs, 0.5),
    })),
  };
  for (const r of summary.ranks)
    console.error(`train-dist: rank ${r.rank} (${r.device}): ${r.samples} samples, ${r.discards} discards, share ${r.lastShares}, ` +
      `${r.handovers} handovers p50 ${r.handoverP50Ms.toFixed(2)} ms p99 ${r.handoverP99Ms.toFixed(2)} ms`);
  console.error(`train-dist: ${summary.samplesPerSec.toFixed(0)} samples/s over ${gpus} GPU(s), NCCL ${summary.nccl}, loss ${summary.loss.toFixed(4)}, ` +
    `parameters ${identical ? 'identical on every rank' : 'DIFFER between ranks'} (sha256 ${summary.paramsSha256.slice(0, 16)})` +
    (summary.abortMs !== null ? `, ncclCommAbort ${summary.abortMs.toFixed(1)} ms + re-init ${summary.reinitMs.toFixed(1)} ms` : ''));
  if (f.json) printJson(results[0]!.device.replace(/ #\d+$/, ''), 'cuda', summary);
  return identical ? 0 : 1;
}
