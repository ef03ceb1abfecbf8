// The evaluation's host spans (src/eval/host-spans.ts): the synchronous part
// of wrapped calls by label, the longest calls, methods put back at stop();
// and the failed requests' messages counted (run-system.ts).
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { HostSpans, hostSpanLines, instrumentSystem } from '../src/eval/host-spans.js';
import { failureCounts } from '../src/eval/run-system.js';
import type { Dataset } from '../src/train/data.js';
import { Trainer } from '../src/train/trainer.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

/** Holds the thread for `ms` (a synchronous span). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('host spans', () => {
  it('times the synchronous part of wrapped calls, names the longest, and puts the methods back', async () => {
    class Part {
      calls = 0;
      short(): number {
        return ++this.calls;
      }
      long(): void {
        busy(15); // well above later's, so a preempted busy loop in later() does not outlast it
      }
      async later(): Promise<void> {
        busy(2.5);
        await new Promise((r) => setTimeout(r, 100)); // not counted: after the first await
      }
    }
    const part = new Part();
    const spans = new HostSpans();
    spans.wrapAll(part, 'part', ['short', 'long', 'later', 'absent']);
    spans.start();
    for (let i = 0; i < 50; i++) expect(part.short()).toBe(i + 1);
    part.long();
    await part.later();
    const r = spans.stop();
    expect(Object.prototype.hasOwnProperty.call(part, 'short')).toBe(false); // the prototype's method again
    const by = new Map(r.byLabel.map((s) => [s.label, s]));
    expect(by.get('part.short')!.calls).toBe(50);
    expect(by.get('part.long')!.maxMs).toBeGreaterThanOrEqual(15);
    expect(by.get('part.long')!.over2Ms).toBe(1);
    expect(by.get('part.later')!.maxMs).toBeGreaterThanOrEqual(2.5);
    expect(by.get('part.later')!.maxMs).toBeLessThan(60);
    expect(by.has('part.absent')).toBe(false);
    expect(r.longest[0]!.label).toBe('part.long');
    expect(by.get('part.short')!.p99Ms).toBeLessThanOrEqual(by.get('part.short')!.maxMs);
    const lines = hostSpanLines(r, true);
    expect(lines.some((l) => l.includes('part.long: 1,'))).toBe(true);
    expect(lines.some((l) => l.includes('part.short:'))).toBe(false); // never 1 ms: left out of the lines
    // By default (the README's command) one line: the loop's delay, and where the rest is.
    const brief = hostSpanLines(r, false);
    expect(brief).toHaveLength(1);
    expect(brief[0]).toMatch(/^  host: event-loop delay p99 \d+\.\d\d ms, max \d+\.\d\d ms \(HANDOVER_HOST_SPANS=1 lists what held it; report\.json has it\)$/);
  });

  it('a wrapped call that throws is still timed and the error passes through', () => {
    const target = { fail(): void { busy(1.2); throw new RangeError('no'); } };
    const spans = new HostSpans();
    spans.wrap(target, 'fail', 'failing');
    spans.start();
    expect(() => target.fail()).toThrow(RangeError);
    const r = spans.stop();
    expect(r.byLabel[0]).toMatchObject({ label: 'failing', calls: 1 });
    expect(r.byLabel[0]!.maxMs).toBeGreaterThanOrEqual(1.2);
  });
});

describe("a system's spans", () => {
  // The trainer's step loop is trainer.ts, its micro-batch set-up and handovers training-memory.ts: the labels stay 'trainer.*'.
  it('times the trainer and its memory under trainer.* labels, and puts every method back', async () => {
    const dev = await testDevice();
    const arena = new Arena(dev, { bytes: 64 * 64 * 1024, pageBytes: 64 * 1024 });
    const gate = new Gate(dev, { maxInFlight: 3 });
    const t = new Trainer(arena, gate, { layers: [13, 32, 10], optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0, effectiveBatch: 24, microBatch: 8, seed: 3 });
    t.init();
    const r = rng(9);
    const data: Dataset = { name: 'random', x: randn(24 * 13, r), labels: Uint32Array.from({ length: 24 }, () => Math.floor(r() * 10)), n: 24, features: 13, classes: 10 };
    const spans = new HostSpans();
    instrumentSystem(spans, { device: {}, arena: {}, gate: {}, core: {}, store: {}, executor: {}, trainer: t });
    spans.start();
    await t.step(data, Uint32Array.from({ length: 24 }, (_, i) => i));
    const report = await t.require(arena.bytes); // training keeps only its static state: the activations go
    t.release(arena.bytes);
    await (await t.yieldAtBoundary(0)).free;
    const by = new Map(spans.stop().byLabel.map((x) => [x.label, x.calls]));
    arena.destroy();
    expect(report.freedBytes).toBeGreaterThan(0);
    for (const label of ['step', 'ready', 'take', 'enqueueGrouped', 'shrink', 'freeActivations', 'release', 'yieldAtBoundary', 'bind', 'batch.upload', 'batch.gradient'])
      expect(by.get(`trainer.${label}`), `trainer.${label}`).toBeGreaterThan(0);
    expect(Object.prototype.hasOwnProperty.call(t, 'step')).toBe(false);
  });
});

describe('failed requests by message', () => {
  it('counts each message with its numbers masked, most first, and ignores requests that did not fail', () => {
    const counts = failureCounts([
      { path: 'warm' },
      { path: 'failed', error: 'out of memory: 98566144 bytes for infer (free 12)' },
      { path: 'failed', error: 'out of memory: 4194304 bytes for infer (free 3)' },
      { path: 'failed' },
      { path: 'rejected', error: 'bound' },
    ]);
    expect(counts).toEqual([
      { error: 'out of memory: N bytes for infer (free N)', count: 2 },
      { error: 'no message', count: 1 },
    ]);
  });
});
