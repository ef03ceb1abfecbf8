// The composition root: one spec in, one colocated system out. The only place
// that creates an arena, a gate, a trainer, a model store and a colocation
// core together and wires them to the policy. Order matters and is kept here:
// store and models first (their kernels compile before training launches
// anything), then the trainer, which gives back the run workspace (and a
// static partition's share) before the core starts keeping the ledger.
import { Arena } from '../core/arena.js';
import { Gate } from '../core/gate.js';
import { slicingFor } from '../core/slicing.js';
import { TrainingJob } from '../colocate/training-job.js';
import { ModelStore } from '../infer/store.js';
import { StoreModels, TrainerMemory } from '../sched/adapters.js';
import { computeShare } from '../sched/compute-share.js';
import type { MemorySide } from '../sched/core.js';
import { PriorityWindow } from '../sched/priority.js';
import { buildCore, NoTraining, systemPolicy, type SystemPolicy } from '../sched/systems.js';
import type { Dataset } from '../train/data.js';
import type { Trainer, TrainConfig, TrainerOptions } from '../train/trainer.js';
import { DecisionLog, LoggedMemory, LoggedModels } from './decisions.js';
import { SystemSizeError, SystemSpecError } from './errors.js';
import { loadGenerationModel, makeGeneration, type Generation } from './generation.js';
import { POLICY_DEFAULTS, type SystemSpec } from './spec.js';
import { ColocationSystem } from './system.js';

function policyOf(spec: SystemSpec<unknown, TrainerOptions>, store: ModelStore): SystemPolicy {
  const largest = Math.max(0, ...store.list().map((m) => m.bytes));
  const t = spec.policy.tuned;
  return systemPolicy(spec.policy.system, { tIdleMs: t?.tIdleMs ?? 5000, watermarkBytes: t?.watermarkBytes ?? largest, tIdleMsByModel: t?.tIdleMsByModel, lendFreeReserve: t?.lendFreeReserve });
}

/** Registers the vision models and runs each once (load, run, unload) so its kernels exist before training starts. */
async function registerModels(spec: SystemSpec<unknown, TrainerOptions>, store: ModelStore): Promise<void> {
  for (const m of spec.models ?? []) {
    if (m.onnx) store.registerBytes(m.name, m.onnx, m.file);
    else if (m.file) store.register(m.name, m.file);
    else throw new SystemSpecError(`models['${m.name}']`, 'needs a file or its bytes');
  }
  for (const m of spec.models ?? []) {
    if (!m.warmup) continue;
    await store.load(m.name);
    await store.run(m.name, m.warmup);
    await store.unload(m.name);
  }
}

export async function buildSystem<D = Dataset, C extends TrainerOptions = TrainConfig>(spec: SystemSpec<D, C>): Promise<ColocationSystem<D, C>> {
  const dev = spec.device;
  const owns = !('use' in spec.arena);
  const arena = 'use' in spec.arena ? spec.arena.use : new Arena(dev, { bytes: spec.arena.bytes, pageBytes: spec.arena.pageBytes, remap: spec.arena.remap });
  try {
    return await assemble(spec, arena, owns);
  } catch (e) {
    if (owns) arena.destroy();
    throw e;
  }
}

async function assemble<D, C extends TrainerOptions>(spec: SystemSpec<D, C>, arena: Arena, ownsArena: boolean): Promise<ColocationSystem<D, C>> {
  const page = arena.pageBytes;
  const now = spec.now ?? (() => performance.now());
  // Loading is the scheduler's decision: a run for a cold model is an error, not a load behind its back.
  const store = new ModelStore(arena, { ...spec.store, coldRun: 'error' });
  const decisions = new DecisionLog(page, now);
  const models = new LoggedModels(new StoreModels(store), decisions);
  await registerModels(spec, store);
  const gen = spec.generation ?? null;
  const sized = gen ? await loadGenerationModel(arena, store, models, gen) : null;
  // The decoder's measured step workspace, or the spec's (the other models' runs), whichever is more.
  const workspacePages = Math.max(sized?.workspacePages ?? 0, spec.workspacePages ?? 0);
  const policy = policyOf(spec, store);
  const sp = spec.policy;
  const slicing = policy.computeShare && policy.training
    ? slicingFor(spec.device, sp.slice ?? POLICY_DEFAULTS.slice, { sloFraction: sp.sliceFraction ?? POLICY_DEFAULTS.sliceFraction, expectMs: sp.expectMs ?? POLICY_DEFAULTS.expectMs, burstGapMs: sp.burstGapMs ?? POLICY_DEFAULTS.burstGapMs })
    : null;
  const gate = new Gate(spec.device, { maxInFlight: spec.maxInFlight ?? 2, slicing });
  const fixedKv = gen && (policy.name === 'sp50' || policy.name === 'sp75') ? gen.kvCapPages ?? null : null;
  if (gen && (policy.name === 'sp50' || policy.name === 'sp75') && !(fixedKv !== null && Number.isInteger(fixedKv) && fixedKv >= 1))
    throw new SystemSpecError('generation.kvCapPages', `must be at least one page for a static partition, got ${fixedKv}`);
  const largest = Math.max(0, ...(spec.models ?? []).map((m) => store.get(m.name)!.bytes));
  if (largest + workspacePages * page > arena.bytes) throw new SystemSizeError('the largest model plus the workspace', largest + workspacePages * page, arena.bytes);

  let trainer: Trainer<D, C> | null = null;
  if (policy.training && spec.training) {
    trainer = spec.training.create(arena, gate);
    trainer.init();
    // Beside the decoder's steps (each holds training for the window after it), a micro-batch begun under the hold
    // would wait it out with its activations held, for a require to discard (docs/results-scale.md, LLM round 8).
    if (gen) trainer.tuning.startWhenUnheld = true;
    if (gen) {
      const inferPages = arena.stats().infer + workspacePages + (fixedKv ?? 0);
      if (arena.stats().train + inferPages > arena.pageCount)
        throw new SystemSizeError(`the KV model, its workspace${fixedKv ? ` and ${fixedKv} KV pages` : ''} beside training's static state`, (arena.stats().train + inferPages) * page, arena.bytes);
    }
    // Training's limit starts at the whole arena: bring it down by the workspace (and a fixed KV
    // share, given once, for good) so the core's ledger starts where the arena is.
    if (workspacePages + (fixedKv ?? 0) > 0) await trainer.require((workspacePages + (fixedKv ?? 0)) * page);
    // A trainer may drop its limit to what it holds: give back all but the workspace, so the core starts at 0.
    const extra = (arena.pageCount - arena.trainLimit - workspacePages - (fixedKv ?? 0) - arena.stats().infer) * page;
    if (!gen && extra > 0) trainer.release(extra);
    const usable = (arena.pageCount - workspacePages) * page - trainer.staticBytes;
    if (policy.inferenceShare === 0 && largest > usable) throw new SystemSizeError('the largest model beside training', largest, usable);
  }

  const share = computeShare(spec.device, policy, trainer, { shareRows: sp.shareRows ?? POLICY_DEFAULTS.shareRows, trainShare: sp.trainShare ?? POLICY_DEFAULTS.trainShare, slicing });
  const window = new PriorityWindow(gate, trainer ? sp.priorityMs ?? POLICY_DEFAULTS.priorityMs : 0, share);
  const elastic = trainer && (gen ? policy.name === 'handover' : true);
  // The handover and the background job are the same for every model: they see the trainer as the MLP's type.
  const anyTrainer = trainer as unknown as Trainer | null;
  const trainerMemory = elastic ? new TrainerMemory(anyTrainer!, policy.handover === 'wait-for-batch' ? 'wait-for-batch' : 'discard') : null;
  const inner: MemorySide = trainerMemory ?? new NoTraining();
  const memory = new LoggedMemory(inner, decisions, window);
  // A generation-only system's core holds no models: it must not take a static share from training.
  const coreMemory = gen && !spec.models?.length ? new NoTraining() : memory;
  const core = await buildCore(policy, coreMemory, models, (arena.pageCount - workspacePages) * page, { pageBytes: page, now });
  for (const m of spec.models ?? []) core.register(m.name);
  const generation: Generation | null = gen ? makeGeneration(arena, store, memory, window, { ...gen, kvCapPages: fixedKv }, sized!) : null;
  const data = spec.training?.data ?? null;
  const job = anyTrainer && data !== null ? new TrainingJob(anyTrainer, data as unknown as Dataset, { lossEvery: spec.training!.lossEvery, maxTimeline: spec.training!.maxTimeline }) : null;
  return new ColocationSystem({ device: spec.device, arena, ownsArena, gate, store, policy, trainer, job, trainerMemory, core, window, share, decisions, generation, workspacePages, now });
}
