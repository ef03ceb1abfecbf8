// The colocated system: arena, gate, trainer, model store, colocation core
// and policy, built together from one spec (build.ts) and owned together
// here: start, stop and destroy in order, and the request path exposed once:
// infer() for a model in the store, generate() for the LLM.
import type { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import type { Gate } from '../core/gate.js';
import type { TrainingJob } from '../colocate/training-job.js';
import type { ModelStore, TensorData } from '../infer/store.js';
import type { BatchRequest, BatchResult } from '../llm/batcher.js';
import type { TrainerMemory } from '../sched/adapters.js';
import type { ComputeShare } from '../sched/compute-share.js';
import type { Admission, ColocationCore } from '../sched/core.js';
import type { PriorityWindow } from '../sched/priority.js';
import { serveRequest, type RequestStages } from '../sched/request.js';
import type { SystemPolicy } from '../sched/systems.js';
import type { Dataset } from '../train/data.js';
import type { Trainer, TrainConfig, TrainerOptions } from '../train/trainer.js';
import type { DecisionLog } from './decisions.js';
import { SystemSpecError, TrainingStartError } from './errors.js';
import type { Generation } from './generation.js';

export interface InferResult {
  outputs: Record<string, TensorData>;
  admission: Admission;
  /** From arrival to outputs on the host, on the system's clock. */
  latencyMs: number;
  /** Where that time went: admission, the priority window, the run. */
  stages: RequestStages;
}

export interface SystemParts<D, C extends TrainerOptions> {
  device: GpuDevice;
  arena: Arena;
  ownsArena: boolean;
  gate: Gate;
  store: ModelStore;
  policy: SystemPolicy;
  trainer: Trainer<D, C> | null;
  /** Training stepping in the background (null without training, or when the caller drives the trainer). */
  job: TrainingJob | null;
  /** The trainer's side of the handover (null without training, or for a static partition of the LLM). */
  trainerMemory: TrainerMemory | null;
  core: ColocationCore;
  window: PriorityWindow;
  share: ComputeShare | null;
  decisions: DecisionLog;
  generation: Generation | null;
  /** Pages kept for inference activations. */
  workspacePages: number;
  now: () => number;
}

/** `D`, `C`: the training model's data and options (the MLP's by default). */
export class ColocationSystem<D = Dataset, C extends TrainerOptions = TrainConfig> {
  readonly device: GpuDevice;
  readonly arena: Arena;
  readonly gate: Gate;
  readonly store: ModelStore;
  readonly policy: SystemPolicy;
  readonly trainer: Trainer<D, C> | null;
  readonly job: TrainingJob | null;
  readonly trainerMemory: TrainerMemory | null;
  readonly core: ColocationCore;
  readonly window: PriorityWindow;
  readonly share: ComputeShare | null;
  readonly decisions: DecisionLog;
  readonly generation: Generation | null;
  readonly workspacePages: number;
  readonly now: () => number;
  private readonly ownsArena: boolean;
  private state: 'built' | 'running' | 'stopped' | 'destroyed' = 'built';

  constructor(p: SystemParts<D, C>) {
    this.device = p.device;
    this.arena = p.arena;
    this.ownsArena = p.ownsArena;
    this.gate = p.gate;
    this.store = p.store;
    this.policy = p.policy;
    this.trainer = p.trainer;
    this.job = p.job;
    this.trainerMemory = p.trainerMemory;
    this.core = p.core;
    this.window = p.window;
    this.share = p.share;
    this.decisions = p.decisions;
    this.generation = p.generation;
    this.workspacePages = p.workspacePages;
    this.now = p.now;
  }

  /** Starts training and, unless `tickMs` is null (the caller ticks), the core's idle expiry and trimming. */
  start(o: { tickMs?: number | null } = {}): void {
    if (this.state !== 'built') throw new SystemSpecError('start', `called on a system that is ${this.state}`);
    this.state = 'running';
    this.job?.start();
    const tick = o.tickMs === undefined ? 100 : o.tickMs;
    if (tick !== null) this.core.startTicking(tick);
  }

  /** Resolves once training finished a step (its kernels run beside inference from now on). */
  async trainingStarted(timeoutMs = 120_000): Promise<void> {
    const t = this.trainer;
    const job = this.job;
    if (!t || !job) return;
    const t0 = performance.now();
    while (t.stats.steps < 1 && job.error === null) {
      if (performance.now() - t0 > timeoutMs) {
        const paused = t.stats.paused ? `: training is paused, its share of the arena (${this.arena.trainLimit} pages, ${t.staticBytes} bytes of static state) holds no micro-batch; give the arena more pages` : '';
        throw new TrainingStartError(`no training step finished within ${timeoutMs / 1000} s${paused}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (job.error) throw new TrainingStartError(String((job.error as Error).message ?? job.error));
  }

  /** Idle expiry and reserve trimming now (for callers that tick themselves); `giveBack`: see ColocationCore.tick. */
  tick(giveBack = false): Promise<void> {
    return this.core.tick(giveBack);
  }

  /** One inference request: admit → make resident → hold training → run → resume → complete. */
  async infer(model: string, inputs: Record<string, TensorData>, opts: { requests?: number } = {}): Promise<InferResult> {
    const t0 = this.now();
    const { admission, result, stages } = await serveRequest(this.core, model, () => this.store.run(model, inputs), this.window, opts.requests ?? 1);
    return { outputs: result, admission, latencyMs: this.now() - t0, stages };
  }

  /** One generation request through the batcher (KV blocks by REQUIRE from training; steps under the priority window). */
  generate(req: BatchRequest): Promise<BatchResult> {
    if (!this.generation) throw new SystemSpecError('generation', 'is not part of this system: give the spec a generation side');
    return this.generation.batcher.submit(req);
  }

  /** Stops training (woken if paused) and the core's ticking; lingering priority windows end. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'destroyed') return;
    this.state = 'stopped';
    this.core.stopTicking();
    await this.generation?.batcher.close(); // serves what was submitted; its KV plan's idle timer must not release into the stopped trainer
    this.window.clear();
    if (this.trainer) this.trainer.release(this.arena.bytes); // never leave it paused
    await this.job?.stop();
    await this.gate.idle().catch(() => undefined);
  }

  /** Stops, unloads and unregisters every model and destroys the arena (if the system made it). */
  async destroy(): Promise<void> {
    if (this.state === 'destroyed') return;
    await this.stop();
    this.state = 'destroyed';
    for (const m of this.store.list()) if (m.state === 'warm') await this.store.unload(m.name).catch(() => undefined);
    await this.store.dispose().catch(() => undefined); // host weights (pinned on CUDA) go with the last instance of each file
    if (this.ownsArena) this.arena.destroy();
  }
}
