// The inference storm of `handover train --storm`: requests for models of
// four sizes (10% to 40% of training's elastic memory) sent through the
// system's request path, so every REQUIRE from training and every RELEASE
// back to it is the scheduler's decision (Algorithm 1 with W = 0 and T_idle
// of about the gap between one model's requests: a model idle that long goes
// back to training at the next tick), logged in the system's DecisionLog.
//
// Paced by the clock (requests per second, Poisson arrivals) or by training
// steps (a request every N steps, on a clock that counts steps), so a test's
// storm happens however fast the device is.
import { OutOfMemoryError } from '../core/errors.js';
import { seeded } from '../core/random.js';
import type { TensorData } from '../infer/store.js';
import { buildModel } from '../onnx/writer.js';
import type { ColocationSystem } from './system.js';
import type { ModelSpec, PolicySpec } from './spec.js';
import { SystemSpecError } from './errors.js';

/** How requests arrive: `rate` per second by the clock, or one every `everySteps` training steps. */
export interface StormPace {
  rate?: number;
  everySteps?: number;
}

/** What a training session needs of a storm: a call before each step, and a stop that gives every page back. */
export interface SessionStorm {
  afterStep(): void;
  stop(): Promise<void>;
}

export interface StormCounts {
  requests: number;
  served: number;
  /** Requests the arena could not place (enough free pages, not side by side, on an arena that cannot remap). */
  unserved: number;
}

/**
 * The storm models' sizes, as shares of what training can give while keeping
 * one sample's micro-batch: together they fit, so training always makes
 * progress, however many are warm at once.
 */
const SHARES = [0.1, 0.2, 0.3, 0.4];

interface StormModel {
  spec: ModelSpec;
  side: number;
}

/** y = x W with W of side x side floats: weights of about `bytes`, a run of one row (the memory is the point, not the work). */
function stormModel(name: string, bytes: number, rand: () => number): StormModel {
  const side = Math.max(1, Math.floor(Math.sqrt(bytes / 4)));
  const w = Float32Array.from({ length: side * side }, () => rand() * 2 - 1);
  const onnx = buildModel({
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    inputs: [{ name: 'x', type: 'float32', dims: [1, side] }],
    outputs: [{ name: 'y', type: 'float32', dims: [1, side] }],
    initializers: { w: { type: 'float32', dims: [side, side], data: w } },
  });
  return { spec: { name, onnx, warmup: { x: row(side, rand) } }, side };
}

function row(side: number, rand: () => number): TensorData {
  return { type: 'float32', dims: [1, side], data: Float32Array.from({ length: side }, () => rand() * 2 - 1) };
}

/** The system as the storm sees it (any training model's). */
export type StormTarget = Pick<ColocationSystem, 'infer' | 'tick' | 'core'> & { trainer: { stats: { paused: boolean } } | null };

export class InferenceStorm {
  readonly models: ModelSpec[];
  /** Pages one storm request's run needs beside its weights (input, output, margin). */
  readonly workspacePages: number;
  /** T_idle on the storm's clock (ms, or training steps for a step-paced storm). */
  readonly tIdleMs: number;
  readonly counts: StormCounts = { requests: 0, served: 0, unserved: 0 };
  private readonly sides: number[];
  private steps = 0;
  /** Added to the clock at the stop, so every model has been idle past T_idle. */
  private skew = 0;

  /**
   * `elasticBytes`: the arena less training's static state (staticBytesOf);
   * the models and their run workspace come out of it, less `keepBytes`
   * (training's smallest micro-batch).
   */
  constructor(readonly pace: StormPace, elasticBytes: number, keepBytes: number, readonly pageBytes: number, readonly seed: number) {
    const rate = pace.rate ?? 0;
    const every = pace.everySteps ?? 0;
    if ((rate > 0) === (every > 0) || !(rate >= 0) || !(Number.isInteger(every) && every >= 0))
      throw new SystemSpecError('storm', `needs either a rate (> 0 per second) or a whole number of steps between requests, got rate ${pace.rate} and every ${pace.everySteps} steps`);
    const pages = (bytes: number) => Math.ceil(bytes / pageBytes);
    const largestSide = Math.floor(Math.sqrt((SHARES.at(-1)! * elasticBytes) / 4));
    this.workspacePages = 2 * pages(4 * Math.max(1, largestSide)) + 2;
    const elastic = elasticBytes - this.workspacePages * pageBytes - pages(keepBytes) * pageBytes;
    if (elastic < SHARES.length * pageBytes)
      throw new SystemSpecError('storm', `has no room: training leaves ${elasticBytes} bytes beside its static state; its smallest micro-batch (${keepBytes} bytes) and the storm's run workspace (${this.workspacePages} pages of ${pageBytes}) leave too few pages for ${SHARES.length} models; raise --arena-mb`);
    const rand = seeded(seed);
    const made = SHARES.map((s) => stormModel(`storm-${Math.round(s * 100)}`, Math.max(pageBytes, s * elastic), rand));
    this.models = made.map((m) => m.spec);
    this.sides = made.map((m) => m.side);
    // By the clock a model stays warm for twice the mean gap between its own requests: most requests
    // find it warm (no handover), a model left alone goes back to training. Step-paced (tests), for
    // one gap: models go back during the run, not only at its end.
    this.tIdleMs = every > 0 ? SHARES.length * every : (2 * SHARES.length * 1000) / rate;
  }

  /** The system's clock: milliseconds, or training steps for a step-paced storm. */
  readonly now = (): number => (this.pace.everySteps ? this.steps : performance.now()) + this.skew;

  /**
   * The policy the storm is served under: handover with T_idle as above and W = 0; training is held
   * only while a request runs and is not time-sliced (no priority window after a request, no
   * expectation of the next: at a storm's rate they would keep training held or sliced all the
   * time, and the storm is there to move memory). Compute sharing by rows stays.
   */
  policy(): PolicySpec {
    return { system: 'handover', tuned: { tIdleMs: this.tIdleMs, watermarkBytes: 0 }, priorityMs: 0, slice: 'off' };
  }

  /** How often the core expires idle models by the clock (a step-paced storm ticks after every step). */
  get tickMs(): number | null {
    return this.pace.everySteps ? null : Math.min(100, Math.max(5, this.tIdleMs / 2));
  }

  /** Starts sending requests to `system` (built with this storm's models, policy and clock, and started). */
  start(system: StormTarget): SessionStorm {
    const rand = seeded(this.seed ^ 0x5707);
    let stopped = false;
    let chain: Promise<void> = Promise.resolve();
    let failure: unknown = null;
    let inFlight = 0;
    const request = async () => {
      if (stopped) return;
      const k = Math.floor(rand() * this.models.length);
      this.counts.requests++;
      inFlight++;
      try {
        await system.infer(this.models[k]!.name, { x: row(this.sides[k]!, rand) });
        this.counts.served++;
      } catch (e) {
        if (!(e instanceof OutOfMemoryError)) throw e;
        this.counts.unserved++;
      } finally {
        inFlight--;
      }
    };
    const send = () => {
      chain = chain.then(request).catch((e) => {
        failure ??= e;
      });
    };
    const tick = () => void system.tick().catch((e) => (failure ??= e));
    const every = this.pace.everySteps ?? 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const arrive = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        send();
        arrive();
      }, (-Math.log(1 - rand()) / this.pace.rate!) * 1000);
    };
    if (!every) arrive();
    // Step-paced, the clock stands still while training waits for memory that only an idle
    // model's expiry would give back: move the clock past T_idle then, and expire.
    const unpause = every
      ? setInterval(() => {
          if (!stopped && inFlight === 0 && system.trainer?.stats.paused && system.core.inferenceBytes > 0) {
            this.skew += this.tIdleMs + 1;
            tick();
          }
        }, 5)
      : null;
    return {
      afterStep: () => {
        if (!every || stopped) return;
        this.steps++;
        tick();
        if (this.steps % every === 0) send();
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        if (timer) clearTimeout(timer);
        if (unpause) clearInterval(unpause);
        await chain;
        // Every model idle past T_idle: the core unloads them and releases their pages to training.
        this.skew += this.tIdleMs + 1;
        await system.tick(true);
        if (failure) throw failure;
      },
    };
  }
}
