// Training as a background job: steps over a data set until stopped, with a
// timeline of throughput, micro-batch and loss for reports and the demo.
import { permutation, seeded, type Dataset } from '../train/data.js';
import type { Trainer } from '../train/trainer.js';

export interface TrainingSample {
  t: number;
  samples: number;
  microBatch: number;
  loss: number;
}

export class TrainingJob {
  readonly timeline: TrainingSample[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private t0 = 0;
  error: unknown = null;

  constructor(readonly trainer: Trainer, readonly data: Dataset, readonly opts: { lossEvery?: number; maxTimeline?: number } = {}) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.t0 = performance.now();
    this.loop = this.run().catch((e) => {
      this.error = e;
      this.running = false;
    });
  }

  /** Stops after the current step (a paused trainer is woken by a release first). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  get samplesPerSec(): number {
    const s = (performance.now() - this.t0) / 1000;
    return s > 0 ? this.trainer.stats.samples / s : 0;
  }

  private async run(): Promise<void> {
    const t = this.trainer;
    const E = t.config.effectiveBatch;
    const every = this.opts.lossEvery ?? 5;
    const max = this.opts.maxTimeline ?? 5000;
    for (let epoch = 0; this.running; epoch++) {
      const order = permutation(this.data.n, seeded(t.config.seed * 1000 + epoch));
      for (let s = 0; s * E < this.data.n && this.running; s++) {
        await t.step(this.data, order.subarray(s * E, Math.min((s + 1) * E, this.data.n)));
        const loss = t.stats.steps % every === 0 ? await t.lastLoss() : NaN;
        this.timeline.push({ t: performance.now(), samples: t.stats.samples, microBatch: t.stats.microBatch, loss });
        if (this.timeline.length > max) this.timeline.splice(0, this.timeline.length - max);
      }
    }
  }
}
