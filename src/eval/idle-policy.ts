// Per-model T_idle from what this device measured: a model whose cold start
// (reload from the host copy plus its p90 execution) fits well within its SLO
// loses nothing by being evicted, so it keeps the tuner's T_idle and its
// memory goes back to training; a model whose cold start misses its SLO
// (resnet50 on the H200: reload 11.4 ms + exec 3.8 ms against an SLO of
// 15.0 ms, docs/results-scale.md round 4) makes every cold start a miss, so it
// stays until a request for it is unlikely: the gap a Poisson stream of its
// requests exceeds with probability 1 - target, i.e. ln(1 / (1 - target))
// mean gaps between its requests (3.5 gaps at target 0.97).
import type { ArchitectureTiming } from './calibrate.js';

export interface IdleSplit {
  /** T_idle per model instance (ms). */
  byModel: Record<string, number>;
  /** T_idle of the models whose cold start misses (ms), and the architectures that do. */
  longMs: number;
  missing: string[];
  /** What the rule saw, for the run's log. */
  note: string;
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
  /** A cold start "fits" when reload + exec p90 is at most this share of the SLO (the rest covers the admit and a busy GPU). */
  margin?: number;
}

export function splitIdle(input: IdleSplitInput): IdleSplit {
  const target = input.target ?? 0.97;
  const margin = input.margin ?? 0.8;
  const misses = (t: ArchitectureTiming) => t.loadMs + t.execP90Ms > margin * t.sloMs;
  const longMs = Math.max(input.baseMs, Math.round(Math.log(1 / (1 - target)) * input.gapS * 1000));
  const byModel: Record<string, number> = {};
  for (const m of input.instances) byModel[m.name] = misses(input.timings[m.architecture]!) ? longMs : input.baseMs;
  const missing = input.timings.filter(misses).map((t) => t.label);
  const cells = input.timings.map((t) => `${t.label} ${(t.loadMs + t.execP90Ms).toFixed(1)}/${t.sloMs.toFixed(1)} ms`).join(', ');
  const note = `cold start (reload + exec p90) vs SLO: ${cells}; ${missing.length ? `${missing.join(', ')} miss${missing.length === 1 ? 'es' : ''} it (> ${margin * 100}%): T_idle ${longMs} ms (${Math.log(1 / (1 - target)).toFixed(1)} x a model's mean gap ${input.gapS.toFixed(1)} s)` : 'every cold start fits'}, the rest ${input.baseMs} ms`;
  return { byModel, longMs, missing, note };
}
