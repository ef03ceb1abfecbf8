// What the server needs from the inference engine: the ModelStore's tensor
// and model types, and the few methods it calls. The real ModelStore
// (src/infer/store.ts) satisfies ServableStore; keeping the dependency this
// narrow lets the protocol layer be tested against a CPU double.
import type { ModelInfo, TensorData } from '../infer/store.js';
import type { BatchRequest, BatchResult } from '../llm/batcher.js';

export type { IoSpec, ModelInfo, TensorData, TensorType } from '../infer/store.js';

/** What the server tells the engine about a run. */
export interface RunOptions {
  /**
   * Requests whose rows this run carries (a dynamic batch; default 1): the
   * scheduler's per-request accounting (SLOs, admits) counts each.
   */
  requests?: number;
  /** Told the milliseconds of the engine's own stages (a colocated system: admit, window, run), for the stage metrics. */
  onStage?: (stage: string, ms: number) => void;
}

/** A cold model is loaded by its first run() (pipelined with that run). */
export interface ServableStore {
  load(name: string, opts?: { pipelined?: boolean }): Promise<ModelInfo>;
  run(name: string, inputs: Record<string, TensorData>, opts?: RunOptions): Promise<Record<string, TensorData>>;
  get(name: string): ModelInfo | undefined;
  list(): ModelInfo[];
}

/**
 * What the server needs from a generative model: submit a request to its
 * continuous batch, and the limits a request is checked against. The LLM
 * Batcher (src/llm/batcher.ts) satisfies it.
 */
export interface GenerativeEngine {
  submit(req: BatchRequest): Promise<BatchResult>;
  readonly gen: { readonly vocab: number; readonly maxPositions: number };
  /** Requests waiting to join the batch (bounded by the server: more get 503). */
  readonly metrics: { readonly queued: number };
}
