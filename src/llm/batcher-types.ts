// What the continuous batcher (batcher.ts) takes and reports: a request, its
// result, the batcher's counters and its options.
import type { GenerateOptions, GenerateResult } from './generate.js';
import type { KvPlanOptions } from './kv-plan.js';
import type { Unheld } from './kv-planner.js';

export interface BatchRequest extends GenerateOptions {
  prompt: number[];
  /** Called with each token as it is generated (streaming). */
  onToken?: (token: number, index: number) => void;
  /**
   * Aborted (client gone, deadline passed, stop string seen): a waiting
   * request is dropped before it runs, a running one stops decoding at the
   * next step boundary; either resolves with stop 'abort' and the tokens so far.
   */
  signal?: AbortSignal;
  /** performance.now() ms after which a request still waiting is dropped (QueueDeadlineError); a running one goes on. */
  deadline?: number;
}

export interface BatchResult extends GenerateResult {
  /** Time from submit to admission (prefill scheduled), ms. */
  queuedMs: number;
  preemptions: number;
}

export interface BatcherMetrics {
  steps: number;
  admitted: number;
  finished: number;
  /** Requests waiting now. */
  queued: number;
  /** Admissions that waited because blocks ran out with training at its minimum. */
  queuedAtMinimum: number;
  preemptions: number;
  /** Requests whose signal aborted (dropped from the queue or stopped mid-generation) or whose deadline passed in the queue. */
  aborted: number;
  /** Requests that can never fit (more blocks than the cache can ever hold): failed with BlocksExhaustedError. */
  rejected: number;
  /** Steps where nothing fit but training could still give: the batcher waited and asked again. */
  stalls: number;
  requires: number;
  requiredBytes: number;
  /** Pages asked ahead at training's next micro-batch boundary (the KV plan: nothing discarded), and the bytes they gave. */
  yields: number;
  yieldedBytes: number;
  /** Steps at which an admission was put off because its pages were still leaving training at its boundary (one admission may count several times). */
  deferredAdmissions: number;
  /** Admissions that waited for pages on their way until maxDeferMs and then required them. */
  deferralsExpired: number;
  /** Longest time an admission waited for pages on their way, ms (from its first deferral to its admission or require). */
  maxDeferWaitMs: number;
  /** Waits for pages on their way with inference's hold on training lifted (the rest of the bound), and their ms in all. */
  boundaryWaits: number;
  boundaryWaitMs: number;
  /** Requires by what needed the pages: an admission's prompt, a running sequence's next block, a run's workspace. */
  requiresFor: { admission: number; block: number; workspace: number };
  releases: number;
  releasedBytes: number;
  /** Bytes taken from training and not yet given back. */
  borrowedBytes: number;
  maxRunning: number;
  /** Most prompt tokens prefilled in one step. */
  maxStepPrefillTokens: number;
  /** KV pages the cache held after each step: [ms since start, pages]. */
  kvPages: [number, number][];
}

export interface BatcherOptions {
  /** Most sequences in one step (default 8). */
  maxBatch?: number;
  /** Free bytes kept after a require and before a release (default one arena page). */
  watermarkBytes?: number;
  /**
   * Most prompt tokens prefilled in one step (default: no limit). A step with
   * a long prefill delays every running sequence's next token; the budget
   * bounds that delay (TBT) at the cost of later first tokens (TTFT).
   */
  maxPrefillTokens?: number;
  /**
   * The KV plan (asking ahead at training's boundary, a reserve from the
   * arriving demand, lazy release; kv-plan.ts) where the memory side can
   * defer (yieldAtBoundary) and the cache has no cap; false: a require per
   * shortfall (+ W) and a release of everything when the burst ends.
   */
  plan?: Omit<KvPlanOptions, 'watermarkBytes'> | false;
  /**
   * Most milliseconds an admission waits for pages leaving training at its
   * boundary before it requires them (default 50; the evaluation uses a
   * quarter of the TTFT SLO). It is deferred at a step boundary only while
   * the next one, a step like the last away, still falls within the bound;
   * then it waits out the rest with `unheld` lifting inference's hold on
   * training, as a running sequence's next block and a run's workspace do
   * when pages on their way would cover them.
   */
  maxDeferMs?: number;
  /** Runs a wait with inference's hold on training lifted, holding again after (the system's priority window; absent: nothing holds training). */
  unheld?: Unheld;
  /**
   * Wait for pages on their way before a require (default true); false: LLM
   * round 7's path, a require as soon as the admission's step-by-step wait
   * ends or a running sequence's next block is short (the tests' reference).
   */
  awaitBoundary?: boolean;
}
