// The KServe v2 / Triton statistics extension: per model, requests answered
// and failed, time queued and computing, engine runs and their batch sizes.
// Times are kept in nanoseconds, as the extension reports them.

export interface Duration {
  count: number;
  ns: number;
}

export class ModelStats {
  lastInference = 0;
  /** Inferences answered: rows (a request of batch 64 counts 64, as Triton counts). */
  inferenceCount = 0;
  /** Engine runs (a dynamic batch of k requests is one). */
  executionCount = 0;
  readonly success: Duration = { count: 0, ns: 0 };
  readonly fail: Duration = { count: 0, ns: 0 };
  readonly queue: Duration = { count: 0, ns: 0 };
  readonly computeInput: Duration = { count: 0, ns: 0 };
  readonly computeInfer: Duration = { count: 0, ns: 0 };
  readonly computeOutput: Duration = { count: 0, ns: 0 };
  /** Engine runs by batch size (rows). */
  readonly batches = new Map<number, Duration>();
  /** Requests refused or dropped before they ran: queue full, deadline passed, client gone. */
  rejected = 0;

  constructor(readonly name: string) {}

  queued(ms: number): void {
    add(this.queue, ms);
  }

  executed(rows: number, computeMs: number, requests: number): void {
    this.executionCount++;
    add(this.computeInfer, computeMs, requests);
    let b = this.batches.get(rows);
    if (!b) this.batches.set(rows, (b = { count: 0, ns: 0 }));
    add(b, computeMs);
  }

  /** A request of `rows` rows ended, answered (ok) or not. */
  finished(ok: boolean, totalMs: number, rows: number): void {
    add(ok ? this.success : this.fail, totalMs);
    if (ok) this.inferenceCount += rows;
    this.lastInference = Date.now();
  }

  /** The extension's JSON for this model. */
  toJSON(version: string) {
    return {
      name: this.name,
      version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success }, fail: { ...this.fail }, queue: { ...this.queue },
        compute_input: { ...this.computeInput }, compute_infer: { ...this.computeInfer }, compute_output: { ...this.computeOutput },
      },
      batch_stats: [...this.batches.entries()].sort((a, b) => a[0] - b[0]).map(([size, d]) => ({
        batch_size: size, compute_input: { count: d.count, ns: 0 }, compute_infer: { ...d }, compute_output: { count: d.count, ns: 0 },
      })),
    };
  }
}

/** `count` events of `ms` each (a batch's compute time counts for each of its requests, as Triton counts it). */
function add(d: Duration, ms: number, count = 1): void {
  d.count += count;
  d.ns += Math.round(ms * 1e6) * count;
}
