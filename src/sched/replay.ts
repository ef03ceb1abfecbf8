// Replays a trace through the real colocation core on a virtual clock, with
// instant loads and an instant training side: the policy's own decisions,
// exactly (cold starts, requires, releases, swaps, memory over time), with no
// queueing. It measures what the chains do not model: how often memory is
// handed over for a (T_idle, W), which is what W exists to reduce.
import { ColocationCore, type MemorySide, type ModelSide } from './core.js';
import type { Trace } from './traces.js';

export interface ReplayInput {
  trace: Trace;
  /** Bytes of each model instance (arrival.model indexes it, modulo the count). */
  modelBytes: number[];
  tIdleS: number;
  watermarkBytes: number;
  /** What training could give at most (default: unlimited). */
  trainingBytes?: number;
  tickMs?: number;
}

export interface ReplayResult {
  requests: number;
  coldStarts: number;
  coldStartRatio: number;
  requires: number;
  releases: number;
  swaps: number;
  /** Requires plus releases per second of trace. */
  handoversPerSec: number;
  /** Time-averaged bytes inference held (models plus reserve). */
  meanInferenceBytes: number;
  maxInferenceBytes: number;
}

class InstantTraining implements MemorySide {
  constructor(private elastic: number) {}
  async require(bytes: number) {
    const freedBytes = Math.min(bytes, this.elastic);
    this.elastic -= freedBytes;
    return { freedBytes };
  }
  release(bytes: number) {
    this.elastic += bytes;
    return bytes;
  }
  atMinimum() {
    return this.elastic <= 0;
  }
}

export async function replayPolicy(input: ReplayInput): Promise<ReplayResult> {
  let now = 0;
  const names = input.modelBytes.map((_, i) => `m${i}`);
  const models: ModelSide = {
    bytes: (m) => input.modelBytes[Number(m.slice(1))]!,
    load: async () => {},
    unload: async () => {},
  };
  const core = new ColocationCore(new InstantTraining(input.trainingBytes ?? Number.MAX_SAFE_INTEGER), models, { tIdleMs: input.tIdleS * 1000, watermarkBytes: input.watermarkBytes }, () => now);
  for (const n of names) core.register(n);
  const tick = input.tickMs ?? 100;
  let nextTick = tick;
  let area = 0;
  let last = 0;
  let max = 0;
  const advance = (t: number) => {
    const held = core.inferenceBytes;
    area += held * (t - last);
    max = Math.max(max, held);
    last = t;
    now = t;
  };
  for (const a of input.trace.arrivals) {
    const t = a.t * 1000;
    while (nextTick <= t) {
      advance(nextTick);
      await core.tick();
      nextTick += tick;
    }
    advance(t);
    const m = names[a.model % names.length]!;
    await core.admit(m);
    core.complete(m);
  }
  const end = input.trace.durationS * 1000;
  while (nextTick <= end) {
    advance(nextTick);
    await core.tick();
    nextTick += tick;
  }
  advance(end);
  const s = core.stats;
  const n = input.trace.arrivals.length;
  return {
    requests: n,
    coldStarts: s.coldStarts,
    coldStartRatio: n ? s.coldStarts / n : 0,
    requires: s.requires,
    releases: s.releases,
    swaps: s.swapOuts,
    handoversPerSec: (s.requires + s.releases) / input.trace.durationS,
    meanInferenceBytes: end > 0 ? area / end : 0,
    maxInferenceBytes: max,
  };
}
