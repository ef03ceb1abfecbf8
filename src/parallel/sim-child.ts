// One simulated rank as its own process (the CPU test of the multi-process
// protocol): SimRank with the real Gate, the agreement and the collective at
// the coordinator over IPC, and REQUIREs injected at random points.
import { seeded } from '../train/data.js';
import { RemoteAgreement, RemoteAllReduce, serveRank } from './remote.js';
import { SimRank, type SimRankOptions } from './sim-rank.js';

export interface SimChildOptions extends SimRankOptions {
  steps: number;
  seed: number;
  /** Start this long after the others (a slow process start or GPU open). */
  startDelayMs?: number;
}

export interface SimChildResult {
  params: Float64Array;
  committed: [number, number[]][];
  requires: number;
  discards: number;
  worstRequireMs: number;
}

/** REQUIREs at random times until `stopped()`: mostly shrinks, sometimes a pause (everything taken) and a release. */
async function requireStorm(r: SimRank, rand: () => number, stopped: () => boolean): Promise<void> {
  const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
  while (!stopped()) {
    await sleep(rand() * 3);
    if (stopped()) break;
    if (rand() < 0.08) {
      await r.require(0);
      await sleep(rand() * 4);
      r.release(1 + Math.floor(rand() * 8));
    } else await r.require(1 + Math.floor(rand() * 8));
  }
}

await serveRank<SimChildOptions, SimChildResult>(async (o, link) => {
  if (o.startDelayMs) await new Promise((res) => setTimeout(res, o.startDelayMs));
  const r = new SimRank(o, new RemoteAgreement(link), new RemoteAllReduce(link));
  let stop = false;
  const storm = requireStorm(r, seeded(o.seed), () => stop);
  await r.train(o.steps);
  stop = true;
  r.release(8);
  await storm;
  return {
    params: r.params,
    committed: [...r.committed.entries()],
    requires: r.requireMs.length,
    discards: r.discards,
    worstRequireMs: Math.max(0, ...r.requireMs),
  };
});
