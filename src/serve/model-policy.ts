// How the server schedules one model's requests (Triton's dynamic batcher
// and instance settings, plus admission bounds), and the server-wide caps.
import { RequestError } from './errors.js';

export interface ModelPolicy {
  /** Most rows (the ONNX batch dimension) one engine run takes; 1: no dynamic batching. */
  maxBatchSize: number;
  /** Batch sizes that run at once without waiting for the delay (empty: only maxBatchSize). */
  preferredBatchSizes: number[];
  /** How long the oldest waiting request may wait for others to join its batch, ms (0: batch what is queued). */
  maxQueueDelayMs: number;
  /** Engine runs of this model in flight at once. */
  instanceCount: number;
  /** Requests waiting for this model, at most (more: 503 with Retry-After). */
  maxQueue: number;
  /** Requests one client may have waiting for this model (more: 429 with Retry-After). */
  maxQueuePerClient: number;
}

export interface ServeLimits {
  /** Deadline of a request that names none, ms from arrival. */
  defaultDeadlineMs: number;
  /** Most rows one request may ask for. */
  maxRequestRows: number;
  /** Most bytes of output tensor data (element bytes) one response may carry. */
  maxResponseBytes: number;
}

export const DEFAULT_POLICY: ModelPolicy = {
  maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayMs: 0, instanceCount: 1, maxQueue: 2048, maxQueuePerClient: 1024,
};

export const DEFAULT_LIMITS: ServeLimits = { defaultDeadlineMs: 30_000, maxRequestRows: 64, maxResponseBytes: 64 << 20 };

/** A policy value out of range (a config file or flag): the message names the field. */
export class PolicyError extends RequestError {
  override name = 'PolicyError';
  constructor(readonly field: string, reason: string) {
    super(400, `${field}: ${reason}`);
  }
}

export function checkPolicy(p: ModelPolicy): ModelPolicy {
  const int = (k: keyof ModelPolicy, min: number, max: number) => {
    const v = p[k] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new PolicyError(k, `must be an integer in [${min}, ${max}], got ${v}`);
  };
  int('maxBatchSize', 1, 4096);
  int('instanceCount', 1, 64);
  int('maxQueue', 1, 1 << 20);
  int('maxQueuePerClient', 1, 1 << 20);
  if (!(p.maxQueueDelayMs >= 0 && p.maxQueueDelayMs <= 60_000)) throw new PolicyError('maxQueueDelayMs', `must be in [0, 60000], got ${p.maxQueueDelayMs}`);
  for (const b of p.preferredBatchSizes)
    if (!Number.isInteger(b) || b < 1 || b > p.maxBatchSize) throw new PolicyError('preferredBatchSizes', `each must be an integer in [1, maxBatchSize = ${p.maxBatchSize}], got ${b}`);
  return p;
}
