// The request path, written once: admit (the core makes the model resident:
// from the reserve, by a REQUIRE from training, or by swapping) → run it
// under the priority window (training held back and, where the policy shares
// compute, confined) → complete (unpin; it counts as used now). The system's
// infer(), the trace driver and the server all go through here.
import type { Admission, ColocationCore } from './core.js';
import type { PriorityWindow } from './priority.js';

export async function serveRequest<T>(core: ColocationCore, model: string, run: () => Promise<T>, window: PriorityWindow | null = null, requests = 1): Promise<{ admission: Admission; result: T }> {
  const admission = await core.admit(model, requests);
  try {
    const result = window ? await window.run(run) : await run();
    return { admission, result };
  } finally {
    core.complete(model);
  }
}
