// `handover bench handover|arena|preempt`: benchmarks printed as ratios against a
// reference measured in the same run.
import { UsageError } from '../core/errors.js';
import { arenaBench } from '../bench/arena-bench.js';
import { handoverBench } from '../bench/handover-bench.js';
import { preemptBench } from '../bench/preempt-bench.js';
import type { GpuDevice } from '../core/device.js';
import { loadDataset } from '../train/data-node.js';
import type { TrainConfig } from '../train/trainer.js';
import { parseFlags, type FlagSpec } from './args.js';
import { openDevice } from './open-device.js';
import { printJson } from './output.js';
import { ProgressBar } from './progress.js';

const spec: FlagSpec = {
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  requires: { type: 'number', default: 200, help: 'handover: REQUIREs per mode', int: true, min: 1, max: 1_000_000 },
  rate: { type: 'number', default: 20, help: 'handover: mean REQUIREs per second', min: 0, above: true, max: 100_000 },
  layers: { type: 'string', default: '512-512', help: 'handover: hidden layers of the MLP (Fashion-MNIST when installed, else digits)' },
  'micro-batch': { type: 'number', default: 128, help: 'handover: micro-batch', int: true, min: 1, max: 65_536 },
  'effective-batch': { type: 'number', help: 'handover: samples per optimizer step, accumulated over micro-batches (default: the micro-batch)', int: true, min: 1, max: 60_000 },
  'mb': { type: 'number', default: 64, help: 'arena: bytes to zero-fill and copy, in MiB', min: 0, above: true, max: 65_536 },
  closes: { type: 'number', default: 100, help: 'arena: gate closes timed', int: true, min: 1, max: 100_000 },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, ...figures}; the human lines go to stderr' },
  models: { type: 'string', default: '../shared/models', help: 'infer-webgpu: folder of squeezenet1_1.onnx, mobilenet_v2.onnx, tiny_gpt.onnx' },
  model: { type: 'string', help: 'infer-webgpu: only these models (comma-separated)' },
  runs: { type: 'number', default: 50, help: 'infer-webgpu: timed runs per model, batch and runtime', int: true, min: 1, max: 100_000 },
  warmup: { type: 'number', default: 10, help: 'infer-webgpu: untimed runs first', int: true, min: 0, max: 100_000 },
  batches: { type: 'string', default: '1,8', help: 'infer-webgpu: batch sizes (comma-separated)' },
  ort: { type: 'boolean', default: true, help: 'infer-webgpu: also time onnxruntime-node (--ort=false: handover only)' },
  requests: { type: 'number', default: 100, help: 'preempt: requests per latency mode (alone, unsliced, sliced)', int: true, min: 1, max: 1_000_000 },
  'request-layers': { type: 'string', default: '64-256-256-10', help: "preempt: widths of the request's MLP (batch 1)" },
  'request-rate': { type: 'number', default: 10, help: 'preempt: mean requests per second', min: 0, above: true, max: 100_000 },
  backends: { type: 'string', default: 'cuda,webgpu-tiled,webgpu-register', help: 'train-backends: backends to time, the first is the reference (cuda, webgpu, webgpu-tiled, webgpu-register)' },
  steps: { type: 'number', default: 20, help: 'train-backends: timed optimizer steps per measurement (--layers, --micro-batch, --warmup set the rest)', int: true, min: 1, max: 100_000 },
  'train-seconds': { type: 'number', default: 5, help: 'preempt: seconds of training alone per throughput mode', min: 0, above: true, max: 3600 },
};

export async function benchCommand(argv: string[]): Promise<number> {
  const { flags: f, rest } = parseFlags(argv, spec);
  const which = rest[0];
  if (which === 'infer-webgpu') return (await import('./bench-infer-webgpu.js')).benchInferWebGpu(f);
  if (which === 'train-backends') return (await import('./bench-train-backends.js')).benchTrainBackends(f);
  if (which !== 'handover' && which !== 'arena' && which !== 'preempt') throw new UsageError(which === undefined ? 'name the benchmark: handover, arena, preempt or infer-webgpu' : `unknown benchmark '${which}': use handover, arena, preempt or infer-webgpu`);
  if (rest.length > 1) throw new UsageError(`unexpected argument '${rest[1]}'`);
  if (String(f.layers).split('-').some((h) => !/^[1-9]\d*$/.test(h))) throw new UsageError(`--layers must be hidden widths like 512-512, got '${f.layers}'`);
  const dev = await openDevice(String(f.backend), (l) => console.error(l));
  try {
    if (which === 'arena') {
      const r = await arenaBench(dev, { bytes: Number(f.mb) * 2 ** 20, reps: 10, closes: Number(f.closes), n: dev.info.software ? 128 : 1024 });
      console.log(`zero-fill ${r.zeroGBps.toFixed(2)} GB/s, device copy ${r.copyGBps.toFixed(2)} GB/s (zero-fill is ${r.zeroVsCopy.toFixed(2)}x the copy) over ${Number(f.mb)} MiB`);
      console.log(`gate close (64 queued matmuls, K=4): p50 ${r.closeP50Ms.toFixed(3)} ms, p99 ${r.closeP99Ms.toFixed(3)} ms, max ${r.closeMaxMs.toFixed(3)} ms over ${r.closes}`);
      if (f.json) printJson(dev, dev.info.backend, { mb: Number(f.mb), ...r });
      return 0;
    }
    const { data, cfg, mb, eb, pageBytes, arenaBytes } = await trainingSetup(f, dev);
    if (which === 'preempt') return await preempt(dev, f, data, cfg, pageBytes, arenaBytes);
    console.error(`bench handover: ${cfg.layers.join('-')} MLP on ${data.train.name}, micro-batch ${mb}, effective batch ${eb}, ${f.requires} REQUIREs per mode at ${f.rate}/s`);
    const bar = new ProgressBar('bench', 50);
    const r = await handoverBench(dev, cfg, data, {
      requires: Number(f.requires), rate: Number(f.rate), arenaBytes, pageBytes, seed: 3,
      onProgress: (mode, d, t) => bar.update(d, t, mode),
    });
    bar.done();
    const h = r.handover;
    console.log(`handover: p50 ${h.p50Ms.toFixed(2)} ms, p99 ${h.p99Ms.toFixed(2)} ms, max ${h.maxMs.toFixed(2)} ms, mean ${h.meanMs.toFixed(2)} ms over ${h.n} (close ${h.closeP50Ms.toFixed(2)}, discard ${h.discardP50Ms.toFixed(2)}, reclaim+zero ${h.reclaimP50Ms.toFixed(2)} ms at p50; ${h.discards} discards)`);
    console.log(`naive:    p50 ${r.naive.p50Ms.toFixed(2)} ms, p99 ${r.naive.p99Ms.toFixed(2)} ms, max ${r.naive.maxMs.toFixed(2)} ms over ${r.naive.n}`);
    console.log(`speedup (naive p50 / handover p50): ${r.speedup.toFixed(1)}x; training ${h.samplesPerSec.toFixed(0)} vs ${r.naive.samplesPerSec.toFixed(0)} samples/s`);
    if (f.json)
      printJson(dev, dev.info.backend, { p50Ms: h.p50Ms, p99Ms: h.p99Ms, maxMs: h.maxMs, naiveP50Ms: r.naive.p50Ms, naiveP99Ms: r.naive.p99Ms, speedup: r.speedup, layers: cfg.layers, microBatch: mb, effectiveBatch: eb, handover: h, naive: r.naive });
    return 0;
  } finally {
    dev.destroy();
  }
}

/** The training MLP, its data and an arena for it, from the flags. */
async function trainingSetup(f: Record<string, unknown>, dev: GpuDevice) {
  let data;
  try {
    data = loadDataset('fashion-mnist');
  } catch {
    data = loadDataset('digits');
  }
  const hidden = String(f.layers).split('-').map(Number);
  const mb = Number(f['micro-batch']);
  const eb = (f['effective-batch'] as number | undefined) ?? mb;
  if (!Number.isInteger(mb) || mb < 1 || !Number.isInteger(eb) || eb < 1) throw new UsageError('--micro-batch and --effective-batch must be positive integers');
  const cfg = { layers: [data.train.features, ...hidden, 10], optimizer: 'sgd' as const, lr: 0.05, momentum: 0.9, weightDecay: 0, effectiveBatch: eb, microBatch: mb, seed: 1 };
  const { mlpLayout } = await import('../train/mlp.js');
  const { activationBytes } = await import('../train/activations.js');
  const layout = mlpLayout(cfg.layers);
  const pageBytes = dev.info.software ? 64 * 1024 : 2 * 2 ** 20;
  const arenaBytes = Math.ceil((layout.bytes * 4 + activationBytes(layout, mb) + 8 * pageBytes) / pageBytes) * pageBytes;
  return { data, cfg, mb, eb, pageBytes, arenaBytes };
}

async function preempt(dev: GpuDevice, f: Record<string, unknown>, data: ReturnType<typeof loadDataset>, cfg: TrainConfig, pageBytes: number, arenaBytes: number): Promise<number> {
  const requestLayers = String(f['request-layers']).split('-').map(Number);
  if (requestLayers.length < 2 || requestLayers.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`--request-layers must be widths like 64-256-10, got '${f['request-layers']}'`);
  const requests = Number(f.requests);
  if (!Number.isInteger(requests) || requests < 2) throw new UsageError('--requests must be an integer >= 2');
  if (!(Number(f['request-rate']) > 0) || !(Number(f['train-seconds']) > 0)) throw new UsageError('--request-rate and --train-seconds must be > 0');
  const requestBytes = requestLayers.reduce((s, w, i) => s + (i ? (requestLayers[i - 1]! + 2) * w : w) * 4 + 3 * pageBytes, 0);
  console.error(`bench preempt: ${cfg.layers.join('-')} MLP training on ${data.train.name} (micro-batch ${cfg.microBatch}); requests: ${requestLayers.join('-')} MLP at batch 1, ${requests} per mode at ${f['request-rate']}/s`);
  const bar = new ProgressBar('bench', 50);
  const r = await preemptBench(dev, cfg, data, {
    requests, rate: Number(f['request-rate']), requestLayers, trainSeconds: Number(f['train-seconds']), seed: 3,
    pageBytes, arenaBytes: arenaBytes + Math.ceil(requestBytes / pageBytes) * pageBytes,
    onProgress: (mode, d, t) => bar.update(d, t, mode),
  });
  bar.done();
  const row = (name: string, l: { p50Ms: number; p99Ms: number }, extra = '') => console.log(`${name.padEnd(26)} p50 ${l.p50Ms.toFixed(2).padStart(8)} ms  p99 ${l.p99Ms.toFixed(2).padStart(8)} ms${extra}`);
  row('requests alone', r.alone, `  (SLO 4x p50 = ${r.sloMs.toFixed(2)} ms)`);
  row('beside training, unsliced', r.unsliced, `  p99 ${(r.unsliced.p99Ms / r.alone.p99Ms).toFixed(1)}x alone; training ${r.unsliced.samplesPerSec.toFixed(0)} samples/s`);
  row('beside training, sliced', r.sliced, `  p99 ${(r.sliced.p99Ms / r.alone.p99Ms).toFixed(1)}x alone; training ${r.sliced.samplesPerSec.toFixed(0)} samples/s; ${r.sliced.slices} slices, budget ${r.sliced.budgetMs.toFixed(2)} ms`);
  const tp = r.throughput;
  console.log(`training alone: unsliced ${tp.unsliced.toFixed(1)} samples/s; sliced gate, no request (full size) ${tp.sliced.toFixed(1)} (${(100 * tp.ratio).toFixed(1)}%); sliced all the time ${tp.forced.toFixed(1)} (${(100 * tp.forcedRatio).toFixed(1)}%, ${tp.slices} slices)`);
  if (f.json) printJson(dev, dev.info.backend, { software: dev.info.software, layers: cfg.layers, microBatch: cfg.microBatch, requestLayers, ...r });
  return 0;
}
