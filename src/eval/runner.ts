// The evaluation's one runner: a workload (vision requests from a trace, or
// LLM generations) played against a built, started colocation system, with
// the arena sampled meanwhile and training measured beside it; then the
// system is destroyed and a training failure is reported. The vision and LLM
// evaluations differ only in their workload (run-system.ts, llm/run-system.ts).
import type { ColocationSystem, Decision } from '../system/index.js';
import { SystemRunError } from './errors.js';

export interface Workload<P> {
  /** Plays the workload through the system's request path; `t0` is the run's start (performance.now()). */
  play(system: ColocationSystem, t0: number): Promise<P>;
  /** One sample of the system's state, `t` seconds after the start. */
  sample(system: ColocationSystem, t: number): void;
}

export interface Played<P> {
  played: P;
  t0: number;
  wallS: number;
  /** Training over the run (null without training): samples, discarded micro-batches, wasted milliseconds. */
  training: { samples: number; discards: number; wastedMs: number; microBatchMs: number; microBatchMin: number; microBatchMax: number } | null;
  /** The scheduler's decisions during the run. */
  decisions: Decision[];
}

/** Training samples since the run started (for progress lines). */
export function trainedSince(system: ColocationSystem, samples0: number, t0: number): string {
  const t = system.trainer;
  return t ? `, train ${(((t.stats.samples - samples0) * 1000) / (performance.now() - t0)).toFixed(0)} samples/s` : '';
}

export async function playOnSystem<P>(name: string, system: ColocationSystem, w: Workload<P>, sampleMs = 100): Promise<Played<P>> {
  const trainer = system.trainer;
  const before = trainer ? { ...trainer.stats } : null;
  const decisions0 = system.decisions.entries.length;
  const t0 = performance.now();
  const sample = () => w.sample(system, (performance.now() - t0) / 1000);
  sample();
  const timer = setInterval(sample, sampleMs);
  let played: P;
  try {
    played = await w.play(system, t0);
  } catch (e) {
    clearInterval(timer);
    await system.destroy();
    throw new SystemRunError(name, 'drive', (e as Error).message);
  }
  clearInterval(timer);
  sample();
  const wallS = (performance.now() - t0) / 1000;
  const after = trainer ? { ...trainer.stats } : null;
  const jobError = system.job?.error ?? null;
  await system.destroy();
  if (jobError) throw new SystemRunError(name, 'training', String((jobError as Error).message ?? jobError));
  const training = before && after
    ? { samples: after.samples - before.samples, discards: after.discards - before.discards, wastedMs: after.wastedMs - before.wastedMs, microBatchMs: after.microBatchMs - before.microBatchMs, microBatchMin: after.microBatchMin, microBatchMax: after.microBatchMax }
    : null;
  return { played, t0, wallS, training, decisions: system.decisions.since(decisions0) };
}
