// The malformed-ONNX fuzzer: >= 200 seeded files of every kind in
// helpers/malformed-onnx.ts go through ModelStore.registerBytes (parse, plan
// at the smallest dims, size checks against the arena). Counted and asserted:
// 0 crashes (anything but a typed HandoverError), 0 hangs, 0 invalid files
// accepted, 0 error messages longer than a bounded quote of the input.
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { HandoverError } from '../src/core/errors.js';
import { ModelError } from '../src/onnx/errors.js';
import { parseModel } from '../src/onnx/loader.js';
import { planGraph } from '../src/infer/plan.js';
import { ModelStore } from '../src/infer/store.js';
import { HostRemapDevice } from './helpers/host-device.js';
import { fanOut, malformedCases, MALFORMED_KINDS } from './helpers/malformed-onnx.js';

const SEED = 20;
const CASES = 13 * 18;
/** A load this slow is a hang (the slowest valid case here takes milliseconds). */
const HANG_MS = 5000;
const MAX_MESSAGE = 600;

const cases = malformedCases(SEED, CASES);

describe('malformed ONNX files', () => {
  it(`${CASES} seeded files: typed errors or a clean load, never a crash, a hang or an invalid file accepted`, () => {
    const arena = new Arena(new HostRemapDevice(64 << 10, false), { bytes: 32 << 20, pageBytes: 64 << 10 });
    const store = new ModelStore(arena);
    const counts = { cases: cases.length, loaded: 0, typed: 0, crashes: 0, hangs: 0, wrongAccepts: 0, longMessages: 0 };
    const byKind = new Map<string, { loaded: number; typed: number }>();
    const crashes: string[] = [];
    cases.forEach((c, i) => {
      const k = byKind.get(c.kind) ?? { loaded: 0, typed: 0 };
      byKind.set(c.kind, k);
      const t0 = performance.now();
      try {
        store.registerBytes(`m${i}`, c.bytes, `case${i}.onnx`);
        counts.loaded++;
        k.loaded++;
        if (c.invalid) (counts.wrongAccepts++, crashes.push(`${c.kind} #${i}: accepted`));
      } catch (e) {
        if (e instanceof HandoverError) {
          counts.typed++;
          k.typed++;
          if (e.message.length > MAX_MESSAGE) counts.longMessages++;
        } else {
          counts.crashes++;
          crashes.push(`${c.kind} #${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 300));
        }
      }
      if (performance.now() - t0 > HANG_MS) counts.hangs++;
    });
    console.log(`malformed ONNX (seed ${SEED}): ${JSON.stringify(counts)}`);
    console.log([...byKind].map(([kind, v]) => `  ${kind}: ${v.typed} refused, ${v.loaded} loaded`).join('\n'));
    expect(crashes).toEqual([]);
    expect(counts).toMatchObject({ crashes: 0, hangs: 0, wrongAccepts: 0, longMessages: 0 });
    expect(counts.cases).toBeGreaterThanOrEqual(200);
    expect(new Set(byKind.keys())).toEqual(new Set(MALFORMED_KINDS));
    arena.destroy();
  });

  it('one value read by 60,000 nodes parses and plans (the topological sort is linear)', () => {
    const bytes = fanOut(60_000);
    // Printed, not asserted (times depend on the machine); the test's timeout catches a quadratic loader.
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const g = parseModel(bytes);
    const t1 = performance.now();
    const cpu1 = process.cpuUsage(cpu0);
    const plan = planGraph(g, new Map([['x', [2]]]));
    const t2 = performance.now();
    const cpu2 = process.cpuUsage(cpu0);
    const ms = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1000).toFixed(0);
    console.log(`fan-out 60,000: parse ${(t1 - t0).toFixed(0)} ms (${ms(cpu1)} ms CPU), parse + plan ${(t2 - t0).toFixed(0)} ms (${ms(cpu2)} ms CPU)`);
    expect(g.nodes).toHaveLength(60_000);
    expect(plan.steps).toHaveLength(60_000);
  });

  it('a 1e12 input dimension, ConstantOfShape [1e6,1e6], Range(0,1e12) and a 2M-entry attribute are ModelErrors naming the problem', () => {
    const store = new ModelStore(new Arena(new HostRemapDevice(64 << 10, false), { bytes: 8 << 20, pageBytes: 64 << 10 }));
    const messages = cases
      .filter((c) => c.kind === 'huge computed size' || c.kind === 'overflowing dims')
      .map((c, i) => {
        try {
          store.registerBytes(`h${i}`, c.bytes);
          return 'loaded';
        } catch (e) {
          expect(e).toBeInstanceOf(ModelError);
          return (e as Error).message;
        }
      });
    expect(messages.some((m) => /element count .* above the limit/.test(m))).toBe(true);
    expect(messages.some((m) => /non-negative integer/.test(m))).toBe(true);
    expect(messages).not.toContain('loaded');
  });
});
