// Per-model T_idle from what this device measured: a model whose cold start
// (a pipelined reload from the host copy with its run, p90; reload + exec
// p90 where that was not measured) fits well within its SLO loses nothing by
// being evicted, so it keeps the tuner's T_idle and its memory goes back to
// training; a model whose cold start misses its SLO (resnet50 on the H200 in
// round 4: reload 11.4 ms + exec 3.8 ms against an SLO of 15.0 ms,
// docs/results-scale.md) makes every cold start a miss, so it stays until a
// request for it is unlikely: the gap a Poisson stream of its requests
// exceeds with probability 1 - target, i.e. ln(1 / (1 - target)) mean gaps
// between its requests (3.5 gaps at target 0.97).
//
// The cap: kept that long, the missing models hold memory training needs
// (round 4 LIGHT: resnet50 held 35.9 s, training ran 0.13x SP-75). A model
// with T_idle T whose requests come every `gap` on average (Poisson) is
// resident a share 1 - exp(-T / gap) of the time, so the memory inference
// keeps on average is the sum of bytes x that share. Training's target is
// `trainTarget` x what SP-75 gives it (a quarter of the arena), on average;
// what is left beside it and the workspace is inference's budget. The long
// T_idle is the largest (at least the base) whose expected residency fits
// what the base-T_idle models leave of that budget.
//
// In the system a cold start costs more than standalone: round 5 (H200,
// BURST, docs/results-scale.md) measured handover's cold admit at p50 1.3 ms
// and its run p50 1.4 ms above Infer-Only's (kernels beside training's), so
// resnet50 (pipelined cold start 6.3 ms, SLO 15.6 ms) met 91% of its SLOs
// while mobilenet_v2 (1.8 / 3.3 ms) and squeezenet1_1 (1.1 / 2.4 ms), evicted
// after the tuner's 250 ms, met 35%: the absolute slack decides, so the rule
// adds that overhead (COLD_START_OVERHEAD_MS) before applying the margin.
import type { ArchitectureTiming } from './calibrate.js';

/** Round 5's in-system cost of a cold start beyond the standalone one (cold admit p50 1.3 ms + run p50 +1.4 ms), ms. */
export const COLD_START_OVERHEAD_MS = 2.7;

export interface IdleSplit {
  /** T_idle per model instance (ms). */
  byModel: Record<string, number>;
  /** T_idle of the models whose cold start misses (ms), and the architectures that do. */
  longMs: number;
  missing: string[];
  /** What the rule saw, for the run's log. */
  note: string;
}

/** The arena the models share with training, for the cap on the long T_idle. */
export interface IdleMemory {
  arenaBytes: number;
  /** Inference's workspace (activations), never training's. */
  workspaceBytes: number;
  /** Training's memory target as a multiple of SP-75's quarter of the arena (2: the LIGHT target). */
  trainTarget: number;
}

export interface IdleSplitInput {
  timings: ArchitectureTiming[];
  instances: { name: string; architecture: number }[];
  /** The T_idle the other models keep (the tuner's), ms. */
  baseMs: number;
  /** Mean gap between two requests for one model instance, seconds (instances / mean rate). */
  gapS: number;
  /** Share of a missing model's requests that should find it resident (0.97: the compliance target's ratio). */
  target?: number;
  /** A cold start "fits" when it takes at most this share of the SLO (the rest covers the admit and a busy GPU). */
  margin?: number;
  /**
   * What a cold start costs in the running system beyond the standalone one
   * (the admit, a require from training, kernels beside training's), ms,
   * added before the margin is applied; default 0.
   */
  overheadMs?: number;
  /** Cap the long T_idle by the memory it keeps from training; absent: no cap. */
  memory?: IdleMemory;
}

/** What a cold start of the architecture costs: the measured pipelined one (p90), else reload + exec p90. */
export function coldStartMs(t: ArchitectureTiming): number {
  return t.coldP90Ms ?? t.loadMs + t.execP90Ms;
}

/** Share of the time a model with T_idle `tMs` and mean request gap `gapS` stays resident (Poisson arrivals). */
export function residentShare(tMs: number, gapS: number): number {
  return 1 - Math.exp(-tMs / 1000 / Math.max(1e-9, gapS));
}

export function splitIdle(input: IdleSplitInput): IdleSplit {
  const target = input.target ?? 0.97;
  const margin = input.margin ?? 0.8;
  const overhead = input.overheadMs ?? 0;
  const misses = (t: ArchitectureTiming) => coldStartMs(t) + overhead > margin * t.sloMs;
  const wantMs = Math.max(input.baseMs, Math.round(Math.log(1 / (1 - target)) * input.gapS * 1000));
  const cap = input.memory ? capMs(input, misses) : null;
  const longMs = cap === null ? wantMs : Math.max(input.baseMs, Math.min(wantMs, cap.ms));
  const byModel: Record<string, number> = {};
  for (const m of input.instances) byModel[m.name] = misses(input.timings[m.architecture]!) ? longMs : input.baseMs;
  const missing = input.timings.filter(misses).map((t) => t.label);
  const cells = input.timings.map((t) => `${t.label} ${coldStartMs(t).toFixed(1)}/${t.sloMs.toFixed(1)} ms`).join(', ');
  const capNote = cap && missing.length ? `; capped by memory: ${cap.note}` : '';
  const note = `cold start (${input.timings.every((t) => t.coldP90Ms !== undefined) ? 'pipelined, p90' : 'reload + exec p90'}${overhead ? ` + ${overhead} ms in the system` : ''}) vs SLO: ${cells}; ${missing.length ? `${missing.join(', ')} miss${missing.length === 1 ? 'es' : ''} it (> ${margin * 100}%): T_idle ${longMs} ms (${Math.log(1 / (1 - target)).toFixed(1)} x a model's mean gap ${input.gapS.toFixed(1)} s = ${wantMs} ms${capNote})` : 'every cold start fits'}, the rest ${input.baseMs} ms`;
  return { byModel, longMs, missing, note };
}

/** The largest T_idle whose expected residency of the missing models fits inference's memory budget (Infinity: any). */
function capMs(input: IdleSplitInput, misses: (t: ArchitectureTiming) => boolean): { ms: number; note: string } {
  const mem = input.memory!;
  const MiB = 2 ** 20;
  const budget = mem.arenaBytes - mem.workspaceBytes - Math.min(mem.arenaBytes - mem.workspaceBytes, mem.trainTarget * 0.25 * mem.arenaBytes);
  let longBytes = 0;
  let baseHeld = 0;
  for (const m of input.instances) {
    const t = input.timings[m.architecture]!;
    if (misses(t)) longBytes += t.bytes;
    else baseHeld += t.bytes * residentShare(input.baseMs, input.gapS);
  }
  const left = budget - baseHeld;
  const ms = longBytes <= 0 || left >= longBytes ? Infinity : left <= 0 ? 0 : Math.round(-Math.log(1 - left / longBytes) * input.gapS * 1000);
  const note = `inference may keep ${(budget / MiB).toFixed(0)} MiB on average (training ${mem.trainTarget}x SP-75's quarter of the arena), the other models ${(baseHeld / MiB).toFixed(0)} MiB, so the missing models (${(longBytes / MiB).toFixed(0)} MiB) at most ${Number.isFinite(ms) ? `${ms} ms` : 'any T_idle'}`;
  return { ms, note };
}
