// A scripted trainer for the KV plan's suites: training as pages under a
// limit, with a micro-batch boundary on a timer. A REQUIRE that takes pages
// it holds discards its micro-batch; a deferred require (yieldAtBoundary)
// frees them at the next boundary; RequireOnly hides the deferred require.
// expectScriptTokens checks a scripted burst against each request alone.
import { expect } from 'vitest';
import type { Allocation } from '../src/core/allocation.js';
import type { Arena } from '../src/core/arena.js';
import type { Gate } from '../src/core/gate.js';
import type { ModelStore } from '../src/infer/store.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { Generator, type StepEntry } from '../src/llm/generate.js';
import { HostKvCache } from '../src/llm/host-cache.js';
import type { MemorySide } from '../src/sched/core.js';
import { promptOf } from './llm-helpers.js';

/** Each scripted request ([arrival ms, prompt tokens, most new tokens], prompt i seeded seedBase + i) ended with the greedy tokens it gets alone. */
export async function expectScriptTokens(store: ModelStore, script: [number, number, number][], seedBase: number, results: { tokens: number[] }[]): Promise<void> {
  const alone = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
  for (const [i, r] of results.entries()) {
    const [, p, m] = script[i]!;
    expect(r.tokens).toEqual((await alone.generate(promptOf(p, seedBase + i), { maxTokens: m })).tokens);
  }
}

export const PAGE = 4 << 10; // one 2-token block a page

/**
 * Training as pages under a limit, with a micro-batch boundary every
 * `periodMs`: it shrinks to its limit and grows back into it there. With
 * `held` (inference's priority window on the gate), a micro-batch's
 * `periodMs` are of work, done only while not held: a micro-batch caught by
 * the window waits it out.
 */
export class BoundaryTraining implements MemorySide {
  readonly pages: Allocation<'train'>[] = [];
  discards = 0;
  requires = 0;
  yields = 0;
  boundaries = 0;
  releases = 0;
  /** Micro-batches' milliseconds from their start to a discard, and in all (held work only). */
  wastedMs = 0;
  private started = performance.now();
  private worked = 0;
  private waiters: (() => void)[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  constructor(private readonly arena: Arena, private readonly gate: Gate, readonly minPages: number, periodMs: number, held?: () => boolean) {
    if (!held) {
      this.timer = setInterval(() => void this.boundary(), periodMs);
      return;
    }
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      if (!held()) this.worked += now - last;
      last = now;
      if (this.worked >= periodMs) void this.boundary();
    }, 2);
  }
  /** Holds every free page but `leavePages`, and limits itself to them (inference's share: the rest). */
  fill(leavePages: number): void {
    while (this.arena.stats().free > leavePages) this.pages.push(this.arena.allocate('train', PAGE, 'train-page'));
    this.arena.limitTraining(this.pages.length);
  }
  private async shrinkTo(limit: number): Promise<void> {
    if (this.pages.length <= limit) return;
    for (const a of this.pages.splice(limit)) this.arena.free(a);
    this.arena.reclaim(await this.gate.drain());
  }
  private async boundary(): Promise<void> {
    this.boundaries++;
    this.worked = 0;
    this.started = performance.now();
    await this.shrinkTo(this.arena.trainLimit);
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
    while (this.pages.length < this.arena.trainLimit && this.arena.stats().free > 0) this.pages.push(this.arena.allocate('train', PAGE, 'train-page'));
  }
  private lower(bytes: number): number {
    const limit = this.arena.trainLimit;
    const next = Math.max(this.minPages, Math.min(limit, this.pages.length + this.arena.stats().free) - Math.ceil(bytes / PAGE));
    this.arena.limitTraining(next);
    return Math.max(0, limit - next);
  }
  async require(bytes: number): Promise<{ freedBytes: number }> {
    this.requires++;
    const given = this.lower(bytes);
    if (this.pages.length > this.arena.trainLimit) {
      this.discards++;
      this.wastedMs += performance.now() - this.started;
      this.started = performance.now();
      this.worked = 0;
      await this.shrinkTo(this.arena.trainLimit);
    }
    return { freedBytes: given * PAGE };
  }
  async yieldAtBoundary(bytes: number): Promise<{ freedBytes: number; free: Promise<void> }> {
    this.yields++;
    const given = this.lower(bytes);
    const free = this.pages.length <= this.arena.trainLimit ? Promise.resolve() : new Promise<void>((r) => this.waiters.push(r));
    return { freedBytes: given * PAGE, free };
  }
  release(bytes: number): number {
    this.releases++;
    const n = Math.floor(bytes / PAGE);
    this.arena.limitTraining(Math.min(this.arena.pageCount, this.arena.trainLimit + n));
    return n * PAGE;
  }
  atMinimum(): boolean {
    return this.arena.trainLimit <= this.minPages;
  }
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.shrinkTo(0);
    this.arena.limitTraining(this.arena.pageCount);
  }
}

/** The same training without deferred requires: the batcher cannot plan with it. */
export class RequireOnly implements MemorySide {
  constructor(readonly t: BoundaryTraining) {}
  require(bytes: number) {
    return this.t.require(bytes);
  }
  release(bytes: number) {
    return this.t.release(bytes);
  }
  atMinimum() {
    return this.t.atMinimum();
  }
}


/** A generator class whose instances keep their longest step (the batcher cannot act within a step). */
export function Timed<T extends abstract new (...args: any[]) => Generator>(Base: T): T & (abstract new (...args: any[]) => { maxStepMs: number }) {
  abstract class TimedGenerator extends Base {
    maxStepMs = 0;
    override async step(entries: StepEntry[]): Promise<Map<number, Float32Array>> {
      const t0 = performance.now();
      try {
        return await super.step(entries);
      } finally {
        this.maxStepMs = Math.max(this.maxStepMs, performance.now() - t0);
      }
    }
  }
  return TimedGenerator;
}
