// One data-parallel rank on its GPU, as its own process (started by
// launch.ts): the real Trainer on a CudaDevice, its share of every effective
// batch, the agreement at the coordinator, then the NCCL all-reduce on the
// training stream; an inference load from a trace for the benchmarks.
import { createHash } from 'node:crypto';
import { CudaDevice } from '../devices/cuda/device.js';
import { buildSystem, mlpTraining } from '../system/index.js';
import { permutation, seeded } from '../train/data.js';
import { loadDataset } from '../train/data-node.js';
import type { TrainConfig } from '../train/trainer.js';
import { DataParallelStep } from './dp-step.js';
import { startInference } from './inference-load.js';
import { NcclComm, ncclUniqueId, ncclVersion } from './nccl.js';
import { RemoteAgreement, serveRank, type RankLink } from './remote.js';
import { syntheticSplit } from './synthetic.js';

export interface GpuRankOptions {
  rank: number;
  ranks: number;
  config: TrainConfig;
  dataset: 'digits' | 'fashion-mnist' | 'synthetic';
  steps: number;
  arenaBytes: number;
  pageBytes: number;
  load: 'none' | 'light' | 'heavy';
  /** 'naive': an inference request waits for the effective batch to finish on all GPUs. */
  mode: 'agreement' | 'naive';
  redistribute: boolean;
  inferBytes: number;
  inferWork: number;
  timeScale: number;
  /** After this step, abort the communicator and make a new one (cost measurement; -1: never). */
  reinitAt: number;
}

export interface GpuRankResult {
  rank: number;
  device: string;
  nccl: string;
  samples: number;
  seconds: number;
  discards: number;
  handoverMs: number[];
  agreementWaitMs: number[];
  lastShares: number[];
  paramsSha256: string;
  /** The first parameters (tests compare runs on different GPU counts). */
  paramsHead: Float32Array;
  abortMs: number | null;
  reinitMs: number | null;
  loss: number;
}

/** Every rank gets rank 0's new NCCL id through the coordinator, then joins (blocking). */
async function connect(link: RankLink, dev: CudaDevice, o: GpuRankOptions, generation: number): Promise<NcclComm> {
  if (o.rank === 0) link.send({ t: 'nccl-id', generation, bytes: ncclUniqueId() });
  const m = await link.next('nccl-id');
  return NcclComm.init(dev, m.bytes, o.ranks, o.rank);
}

await serveRank<GpuRankOptions, GpuRankResult>(async (o, link) => {
  const dev = await CudaDevice.open(undefined, { ordinal: o.rank });
  const split = o.dataset === 'synthetic' ? syntheticSplit(32768, o.config.layers[0]!, o.config.layers.at(-1)!, o.config.seed) : loadDataset(o.dataset, o.config.seed);
  // The rank's colocation system: its trainer on its arena; the inference load below stands in for requests.
  const system = await buildSystem({
    device: dev,
    arena: { bytes: o.arenaBytes, pageBytes: o.pageBytes },
    maxInFlight: 4,
    training: mlpTraining(o.config, split.train),
    policy: { system: 'handover' },
  });
  const trainer = system.trainer!;
  let comm = await connect(link, dev, o, 0);
  const dp = new DataParallelStep(
    { rank: o.rank, ranks: o.ranks, redistribute: o.redistribute, microBatch: () => trainer.stats.microBatch, allReduce: (g) => comm.allReduce(g) },
    new RemoteAgreement(link),
  );
  trainer.gradientReduce = dp;
  link.onAbort = () => comm.abort(); // last resort: free collectives stuck in flight
  let stepDone: Promise<void> = Promise.resolve();
  const load = o.load === 'none' ? null : startInference(trainer, {
    kind: o.load, seed: 77 + o.rank, bytes: o.inferBytes, work: o.inferWork, timeScale: o.timeScale,
    before: o.mode === 'naive' ? () => stepDone : undefined,
  });
  let abortMs: number | null = null;
  let reinitMs: number | null = null;
  let recoveryMs = 0; // not counted in the training time
  const E = o.config.effectiveBatch;
  const perEpoch = Math.floor(split.train.n / E);
  const t0 = performance.now();
  let order = permutation(split.train.n, seeded(o.config.seed));
  for (let step = 0; step < o.steps; step++) {
    const s = step % perEpoch;
    if (s === 0 && step > 0) order = permutation(split.train.n, seeded(o.config.seed * 1000 + step / perEpoch));
    let done!: () => void;
    stepDone = new Promise((r) => (done = r));
    await trainer.step(split.train, dp.slice(order.subarray(s * E, (s + 1) * E)));
    done();
    if (o.rank === 0 && (step + 1) % Math.max(1, Math.floor(o.steps / 10)) === 0)
      link.send({ t: 'progress', line: `step ${step + 1}/${o.steps}, shares ${dp.shares(E).join('/')}, ${(trainer.stats.samples / ((performance.now() - t0) / 1000)).toFixed(0)} samples/s on rank 0` });
    if (step === o.reinitAt) {
      // Every rank has finished this step's all-reduce before any communicator goes.
      const barrier = performance.now();
      await new RemoteAgreement<null>(link).arrive(o.rank, -1 - step, null);
      const a = performance.now();
      comm.abort();
      abortMs = performance.now() - a;
      const b = performance.now();
      comm = await connect(link, dev, o, 1);
      reinitMs = performance.now() - b;
      recoveryMs = performance.now() - barrier;
    }
  }
  const seconds = (performance.now() - t0 - recoveryMs) / 1000;
  await load?.stop();
  const params = await trainer.readParameters();
  const loss = await trainer.lastLoss();
  comm.destroy();
  const result: GpuRankResult = {
    rank: o.rank, device: `${dev.info.name} #${o.rank}`, nccl: ncclVersion(), samples: trainer.stats.samples, seconds,
    discards: trainer.stats.discards, handoverMs: load?.handoverMs ?? [], agreementWaitMs: dp.waitMs, lastShares: dp.shares(E),
    paramsSha256: createHash('sha256').update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)).digest('hex'),
    paramsHead: params.slice(0, 4096), abortMs, reinitMs, loss,
  };
  await system.destroy();
  dev.destroy();
  return result;
});
