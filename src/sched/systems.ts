// The systems compared in the evaluation, as memory policies of the one
// colocation core (same kernels, same traces, same core; only the policy and
// the training side's handover differ):
//   handover    Algorithm 1 with the tuned (T_idle, W); training discards its micro-batch.
//   naive       the same policy, but a require waits for the running batch to end.
//   sp50, sp75  static partitions: inference owns 50% / 75% of the arena from the
//               start, never asks training, swaps models within its share.
//   taskswitch  the first cold request preempts training entirely (all memory to
//               inference); when every model has been idle T_idle, all of it goes back
//               (models are unloaded: the next switch reloads them).
//   infer-only  no training: inference owns the whole arena (the upper bound).
// Unified memory + MPS is not a baseline: oversubscribing can hang a GPU.
import { ColocationCore, type CoreConfig, type MemorySide, type ModelSide } from './core.js';
import { SchedParameterError } from './errors.js';
import type { EventLog } from './events.js';

export type SystemName = 'handover' | 'naive' | 'sp50' | 'sp75' | 'taskswitch' | 'infer-only';
export const SYSTEM_NAMES: readonly SystemName[] = ['handover', 'naive', 'sp50', 'sp75', 'taskswitch', 'infer-only'];

export interface SystemPolicy {
  name: SystemName;
  summary: string;
  /** Whether a training job runs at all. */
  training: boolean;
  /** How training gives memory: discard the running micro-batch, or wait for it to end. */
  handover: 'discard' | 'wait-for-batch' | 'none';
  /** Share of the arena inference owns from the start (static partitions, infer-only); 0: none. */
  inferenceShare: number;
  /**
   * Compute sharing (the design's SM partition, Sirius's and ours): while
   * inference runs, training gets only a slice of the GPU. Baselines share
   * compute the default way (whatever the device does).
   */
  computeShare: boolean;
  core: CoreConfig;
}

export interface Tuned {
  tIdleMs: number;
  watermarkBytes: number;
  /** Per model T_idle overriding tIdleMs (handover and naive). */
  tIdleMsByModel?: Readonly<Record<string, number>>;
  /** Handover and naive: lend the free reserve beyond W to a training that can grow into it (CoreConfig.lendFreeReserve). */
  lendFreeReserve?: boolean;
}

/** The paper's choice, used when nothing was tuned: T_idle = 5 s, W = 1 GB. */
export const PAPER_TUNED: Tuned = { tIdleMs: 5000, watermarkBytes: 1e9 };

/** How long TaskSwitch waits, idle, before switching back to training. */
export const TASKSWITCH_IDLE_MS = 1000;

export function systemPolicy(name: SystemName, tuned: Tuned = PAPER_TUNED): SystemPolicy {
  const handover: CoreConfig = { tIdleMs: tuned.tIdleMs, tIdleMsByModel: tuned.tIdleMsByModel, watermarkBytes: tuned.watermarkBytes, pipelinedSwap: true, pipelinedColdStart: true, lendFreeReserve: tuned.lendFreeReserve };
  const staticShare = (share: number): SystemPolicy => ({
    name: share === 0.5 ? 'sp50' : 'sp75',
    summary: `static partition: inference owns ${share * 100}% of the arena and swaps models within it`,
    training: true,
    handover: 'none',
    inferenceShare: share,
    computeShare: false,
    core: { tIdleMs: Infinity, watermarkBytes: 0, trimAboveBytes: Infinity, requireFromTraining: false, pipelinedSwap: true, pipelinedColdStart: true },
  });
  switch (name) {
    case 'handover':
      return { name, summary: `Algorithm 1: T_idle ${tuned.tIdleMs} ms, W ${tuned.watermarkBytes} bytes, discard on require`, training: true, handover: 'discard', inferenceShare: 0, computeShare: true, core: handover };
    case 'naive':
      return { name, summary: 'Algorithm 1, but a require waits for the running training batch to end', training: true, handover: 'wait-for-batch', inferenceShare: 0, computeShare: true, core: handover };
    case 'sp50':
      return staticShare(0.5);
    case 'sp75':
      return staticShare(0.75);
    case 'taskswitch':
      return {
        name,
        summary: `task switching: training preempted on the first cold request, resumed after ${TASKSWITCH_IDLE_MS} ms of inference idleness`,
        training: true,
        handover: 'wait-for-batch',
        inferenceShare: 0,
        computeShare: false,
        core: { tIdleMs: TASKSWITCH_IDLE_MS, watermarkBytes: 0, trimAboveBytes: 0, requireAll: true, trimOnlyWhenIdle: true, pipelinedSwap: false },
      };
    case 'infer-only':
      return {
        name,
        summary: 'inference alone owns the arena (upper bound for inference)',
        training: false,
        handover: 'none',
        inferenceShare: 1,
        computeShare: false,
        core: { tIdleMs: Infinity, watermarkBytes: 0, trimAboveBytes: Infinity, requireFromTraining: false, pipelinedSwap: true, pipelinedColdStart: true },
      };
    default:
      throw new SchedParameterError('system', name, SYSTEM_NAMES.join(', '));
  }
}

export function parseSystems(list: string): SystemName[] {
  const out: SystemName[] = [];
  for (const s of list.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(SYSTEM_NAMES as readonly string[]).includes(s)) throw new SchedParameterError('system', s, SYSTEM_NAMES.join(', '));
    out.push(s as SystemName);
  }
  return out;
}

/**
 * Builds the core for a policy. `arenaBytes` is the memory inference and
 * training share (after any fixed inference workspace). Static shares are
 * taken from training once, up front, and stay with inference.
 */
export async function buildCore(
  policy: SystemPolicy,
  memory: MemorySide,
  models: ModelSide,
  arenaBytes: number,
  opts: { now?: () => number; log?: EventLog; pageBytes?: number } = {},
): Promise<ColocationCore> {
  let reserve = 0;
  if (policy.inferenceShare > 0) {
    const page = opts.pageBytes ?? 1;
    const share = Math.floor((policy.inferenceShare * arenaBytes) / page) * page;
    reserve = policy.training ? (await memory.require(share)).freedBytes : share;
    // A trainer may give more than asked (it drops its limit to what it holds): a static share is exact.
    if (policy.training && reserve > share) {
      memory.release(reserve - share);
      reserve = share;
    }
  }
  const page = opts.pageBytes ?? 1;
  const core = { ...policy.core, watermarkBytes: Math.ceil(policy.core.watermarkBytes / page) * page };
  return new ColocationCore(memory, models, core, opts.now, { initialReserveBytes: reserve, log: opts.log });
}

/** Training's side when there is no training (infer-only): nothing to give, nothing to take back. */
export class NoTraining implements MemorySide {
  released = 0;
  async require(): Promise<{ freedBytes: number }> {
    return { freedBytes: 0 };
  }
  release(bytes: number): number {
    this.released += bytes;
    return bytes;
  }
  atMinimum(): boolean {
    return true;
  }
}
