// The GPT benchmark's Node half (scripts/device-gpt.sh runs it beside
// scripts/gpt-torch.py on the GPU machine): loss-curve parity inputs (the
// initial weights and every step's tokens, written here, read by PyTorch),
// tokens/s, the memory training holds at its largest micro-batch, and
// REQUIREs arriving during gradient computation, handover against naive.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arena } from '../../core/arena.js';
import type { GpuDevice } from '../../core/device.js';
import { Gate } from '../../core/gate.js';
import { permutation, seeded } from '../data.js';
import { largestFitting } from '../model.js';
import { percentile } from '../run.js';
import { Trainer, type HandoverReport } from '../trainer.js';
import { planPages } from '../activation-memory.js';
import { gptActivationBytes, gptActivationPlan } from './activations.js';
import type { GptConfig, GptHyper } from './layout.js';
import { GptModel } from './model.js';
import { windows, type TokenDataset } from './text.js';

const GB = 1e9;

function trainer(dev: GpuDevice, cfg: GptConfig, hyper: GptHyper, E: number, micro: number, arenaBytes: number, pageBytes: number, seed = 1) {
  const arena = new Arena(dev, { bytes: arenaBytes, pageBytes });
  const gate = new Gate(dev, { maxInFlight: 4 });
  const t = Trainer.forModel(arena, gate, { effectiveBatch: E, microBatch: micro, seed }, new GptModel(cfg, hyper));
  t.init();
  return { arena, gate, t };
}

/** Arena bytes for a fixed micro-batch: static state, its activations, a few spare pages. */
export function arenaFor(cfg: GptConfig, micro: number, pageBytes: number): number {
  const m = new GptModel(cfg, { lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0, gradClip: Infinity });
  const need = m.paramBytes * 5 + m.scratchBytes + gptActivationBytes(cfg, micro) + 16 * pageBytes;
  return Math.ceil(need / pageBytes) * pageBytes;
}

/**
 * K steps from seed-1 weights: writes dir/weights.bin (every tensor in
 * nanoGPT's state_dict order, f32), dir/tokens.bin (each step's E windows
 * of context + 1 tokens, u16) and dir/gpt.json (configuration, tensor names
 * and shapes, our losses), and returns the losses.
 */
export async function parity(dev: GpuDevice, cfg: GptConfig, hyper: GptHyper, data: TokenDataset, o: { steps: number; effectiveBatch: number; microBatch: number; dir: string; pageBytes: number }): Promise<number[]> {
  const { arena, t } = trainer(dev, cfg, hyper, o.effectiveBatch, o.microBatch, arenaFor(cfg, o.microBatch, o.pageBytes), o.pageBytes);
  const model = t.model as GptModel;
  const params = await t.readParameters();
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'weights.bin'), Buffer.concat(model.layout.tensors.map((x) => Buffer.from(params.buffer, x.at, x.size * 4))));
  const order = permutation(data.n, seeded(7));
  const T = cfg.context;
  const tokens = new Uint16Array(o.steps * o.effectiveBatch * (T + 1));
  const losses: number[] = [];
  for (let k = 0; k < o.steps; k++) {
    const batch = order.subarray((k * o.effectiveBatch) % (data.n - o.effectiveBatch), (k * o.effectiveBatch) % (data.n - o.effectiveBatch) + o.effectiveBatch);
    const { inputs, targets } = windows(data, batch);
    for (let i = 0; i < o.effectiveBatch; i++) {
      const at = (k * o.effectiveBatch + i) * (T + 1);
      tokens.set(inputs.subarray(i * T, (i + 1) * T), at);
      tokens[at + T] = targets[i * T + T - 1]!;
    }
    await t.step(data, batch);
    losses.push(await t.lastLoss());
  }
  arena.destroy();
  writeFileSync(join(o.dir, 'tokens.bin'), tokens);
  const tensors = model.layout.tensors.map((x) => ({ name: x.name, shape: x.shape, decay: x.decay }));
  writeFileSync(join(o.dir, 'gpt.json'), JSON.stringify({ config: cfg, hyper: { ...hyper, gradClip: Number.isFinite(hyper.gradClip) ? hyper.gradClip : 0 }, ...o, tensors, losses }));
  return losses;
}

/** Tokens/s of training at a fixed micro-batch (E = micro), after `warmup` untimed steps. */
export async function throughput(dev: GpuDevice, cfg: GptConfig, hyper: GptHyper, data: TokenDataset, o: { microBatch: number; steps: number; warmup: number; pageBytes: number }): Promise<number> {
  const { arena, t } = trainer(dev, cfg, hyper, o.microBatch, o.microBatch, arenaFor(cfg, o.microBatch, o.pageBytes), o.pageBytes);
  const order = permutation(data.n, seeded(3));
  const batch = (k: number) => order.subarray((k * o.microBatch) % (data.n - o.microBatch), ((k * o.microBatch) % (data.n - o.microBatch)) + o.microBatch);
  for (let k = 0; k < o.warmup; k++) await t.step(data, batch(k));
  await t.lastLoss();
  const t0 = performance.now();
  for (let k = 0; k < o.steps; k++) await t.step(data, batch(o.warmup + k));
  const loss = await t.lastLoss();
  const s = (performance.now() - t0) / 1000;
  arena.destroy();
  if (!Number.isFinite(loss)) throw new Error(`throughput run: loss ${loss}`);
  return (o.steps * o.microBatch * cfg.context) / s;
}

export interface RequireRow {
  gb: number;
  n: number;
  p50Ms: number;
  p99Ms: number;
  closeP50Ms: number;
  discardP50Ms: number;
  reclaimP50Ms: number;
  naiveP50Ms: number;
  naiveP99Ms: number;
}

export interface MemoryResult {
  largestMicroBatch: number;
  heldBytes: number;
  activationBytes: number;
  requires: RequireRow[];
}

/**
 * Training in an arena of `arenaBytes` with no micro-batch cap below E: the
 * micro-batch memory allows, and the bytes held. Then, for each size, REQUIREs
 * that arrive while a micro-batch computes its gradients (handover: close,
 * discard, reclaim and zero-fill; `reps` per size, all in one effective
 * batch) and the naive handover (the wait for the running effective batch to
 * end, `naiveReps` times, plus freeing and zero-filling the activations
 * between batches).
 */
export async function memoryAndRequires(dev: GpuDevice, cfg: GptConfig, hyper: GptHyper, data: TokenDataset, o: { arenaBytes: number; pageBytes: number; sizesGb: number[]; reps: number; naiveReps: number; onLog?: (l: string) => void }): Promise<MemoryResult> {
  // E = the largest micro-batch: one micro-batch per effective batch, so a REQUIRE lands in it.
  const m = new GptModel(cfg, hyper);
  const pages = (b: number) => Math.ceil(b / o.pageBytes);
  const staticBytes = (pages(m.paramBytes) * 5 + pages(m.scratchBytes) + 1) * o.pageBytes;
  const cap = Math.floor(Math.min(dev.info.limits.maxBackingBytes, dev.info.limits.maxBindingBytes) / o.pageBytes) * o.pageBytes;
  const E = largestFitting((b) => planPages(gptActivationPlan(cfg, b), cap, o.pageBytes) * o.pageBytes, o.arenaBytes - staticBytes, 1 << 20);
  if (E < 1) throw new Error(`an arena of ${(o.arenaBytes / GB).toFixed(1)} GB holds no micro-batch beside ${(staticBytes / GB).toFixed(1)} GB of static state`);
  const { arena, gate, t } = trainer(dev, cfg, hyper, E, E, o.arenaBytes, o.pageBytes);
  const order = permutation(data.n, seeded(5));
  let k = 0;
  const step = () => {
    const at = (k++ * E) % Math.max(1, data.n - E);
    return t.step(data, order.subarray(at, at + E));
  };
  await step();
  await t.lastLoss();
  const largestMicroBatch = t.stats.microBatch;
  const heldBytes = arena.held('train');
  const activationBytes = t.elasticBytes;
  o.onLog?.(`largest micro-batch ${largestMicroBatch}: training holds ${(heldBytes / GB).toFixed(1)} GB (${(activationBytes / GB).toFixed(1)} GB of activations)`);
  const inGradients = async () => {
    while (gate.phase !== 'gc') await new Promise((r) => setTimeout(r, 0));
  };
  const giveBack = async (bytes: number) => {
    // Inference takes the pages (usable now), in pieces no larger than one allocation may be.
    const taken = [];
    for (let left = Math.min(arena.freeBytes, bytes); left > 0; left -= cap) taken.push(arena.allocate('infer', Math.min(left, cap), 'request'));
    for (const a of taken) arena.free(a);
    arena.reclaim(await arena.fence());
    t.release(arena.bytes);
  };
  const sizes = o.sizesGb.map((gb) => ({ gb, bytes: Math.floor((gb * GB) / o.pageBytes) * o.pageBytes })).filter(({ gb, bytes }) => {
    const room = arena.freeBytes + t.elasticBytes;
    if (bytes <= room) return true;
    o.onLog?.(`REQUIRE ${gb} GB: skipped, training can give only ${(room / GB).toFixed(1)} GB`);
    return false;
  });
  // Handover: every REQUIRE lands in gradient computation of one effective
  // batch (a discard costs no samples: the micro-batch runs again after each).
  const reports = new Map<number, HandoverReport[]>(sizes.map(({ gb }) => [gb, []]));
  const running = step();
  for (let r = 0; r < o.reps; r++)
    for (const { gb, bytes } of sizes) {
      await inGradients();
      await new Promise((res) => setTimeout(res, 5 + 10 * r));
      const need = arena.freeBytes + bytes; // inference takes the free pages and `bytes` more
      reports.get(gb)!.push(await t.require(need));
      await giveBack(need);
    }
  await running;
  // Naive: a REQUIRE waits for the running effective batch to end (measured
  // `naiveReps` times, from a point early in gradient computation), then
  // training frees its activations and they are zero-filled (measured once, below).
  const waits: number[] = [];
  for (let r = 0; r < o.naiveReps; r++) {
    const next = step();
    await inGradients();
    await new Promise((res) => setTimeout(res, 5 + 10 * r));
    const t0 = performance.now();
    await next;
    waits.push(performance.now() - t0);
  }
  // Training frees all its activations at a REQUIRE whatever its size: the free and zero-fill once, between batches.
  await t.lastLoss();
  const t0 = performance.now();
  const all = arena.freeBytes + t.elasticBytes;
  await t.require(all);
  const free = performance.now() - t0;
  await giveBack(all);
  const naive = waits.map((w) => w + free);
  const requires: RequireRow[] = [];
  for (const { gb } of sizes) {
    const real = reports.get(gb)!.filter((x) => x.freedBytes > 0);
    const ms = real.map((x) => x.totalMs);
    const row: RequireRow = {
      gb, n: real.length, p50Ms: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99),
      closeP50Ms: percentile(real.map((x) => x.closeMs), 0.5), discardP50Ms: percentile(real.map((x) => x.discardMs), 0.5),
      reclaimP50Ms: percentile(real.map((x) => x.reclaimMs), 0.5), naiveP50Ms: percentile(naive, 0.5), naiveP99Ms: percentile(naive, 0.99),
    };
    o.onLog?.(`REQUIRE ${gb} GB: handover p50 ${row.p50Ms.toFixed(1)} ms p99 ${row.p99Ms.toFixed(1)} ms (${real.filter((x) => x.discarded).length}/${real.length} discarded), naive p50 ${row.naiveP50Ms.toFixed(0)} ms (of which free and zero-fill ${free.toFixed(1)} ms)`);
    requires.push(row);
  }
  await gate.idle();
  arena.destroy();
  return { largestMicroBatch, heldBytes, activationBytes, requires };
}
