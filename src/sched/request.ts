// The request path, written once: admit (the core makes the model resident:
// from the reserve, by a REQUIRE from training, or by swapping) → run it
// under the priority window (training held back and, where the policy shares
// compute, confined) → complete (unpin; it counts as used now). The system's
// infer(), the trace driver and the server all go through here. Each stage's
// time comes back, so a tail can be traced to its stage.
import type { Admission, ColocationCore } from './core.js';
import type { PriorityWindow } from './priority.js';

/** Milliseconds of one request in each stage, on the core's clock. */
export interface RequestStages {
  /** Until the model was resident and pinned (decision, require, load). */
  admitMs: number;
  /** Waiting for the priority window (another request's turn, training's confinement). */
  windowMs: number;
  /** The run itself, inputs in to outputs on the host. */
  runMs: number;
}

export async function serveRequest<T>(core: ColocationCore, model: string, run: () => Promise<T>, window: PriorityWindow | null = null, requests = 1): Promise<{ admission: Admission; result: T; stages: RequestStages }> {
  const t0 = core.now();
  const admission = await core.admit(model, requests);
  const t1 = core.now();
  let t2 = t1;
  try {
    const timed = () => ((t2 = core.now()), run());
    const result = window ? await window.run(timed) : await timed();
    return { admission, result, stages: { admitMs: t1 - t0, windowMs: t2 - t1, runMs: core.now() - t2 } };
  } finally {
    core.complete(model);
  }
}
