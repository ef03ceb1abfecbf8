// The serving tail: each request's stages are timed (request path and
// server metrics); an inference run and a model load fence only the
// inference lane (an answer never waits for training's kernels in flight);
// runs of different models may overlap (--max-runs) while one model's stay
// in order; the trace driver's bound on requests in flight rejects and counts.
import { describe, expect, it } from 'vitest';
import type { Lane } from '../src/core/device.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import { buildModel } from '../src/onnx/writer.js';
import { ColocationCore, type MemorySide, type ModelSide } from '../src/sched/core.js';
import { drive } from '../src/sched/driver.js';
import { serveRequest } from '../src/sched/request.js';
import type { Trace } from '../src/sched/traces.js';
import { createServer } from '../src/serve/server.js';
import { randn, rng, useTestArena } from './helpers/gpu.js';

const tanhModel = () =>
  buildModel({
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 6] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', 6] }],
    nodes: [{ op: 'Tanh', inputs: ['x'], outputs: ['y'] }],
  });
const r = rng(23);
const input = (): Record<string, TensorData> => ({ x: { type: 'float32', dims: [2, 6], data: randn(12, r) } });
const settle = (ms = 0) => new Promise((res) => setTimeout(res, ms));

describe('the request path times its stages', () => {
  it('admit, window and run come back on the core clock', async () => {
    let t = 0;
    const memory: MemorySide = { require: async (b) => ({ freedBytes: b }), release: (b) => b, atMinimum: () => false };
    const models: ModelSide = { bytes: () => 100, load: async () => void (t += 5), unload: async () => undefined };
    const core = new ColocationCore(memory, models, { tIdleMs: 1000, watermarkBytes: 0 }, () => t, { initialReserveBytes: 1000 });
    core.register('a');
    const out = await serveRequest(core, 'a', async () => ((t += 7), 'done'));
    expect(out.result).toBe('done');
    expect(out.stages).toEqual({ admitMs: 5, windowMs: 0, runMs: 7 });
    const warm = await serveRequest(core, 'a', async () => ((t += 2), 'again'));
    expect(warm.stages).toEqual({ admitMs: 0, windowMs: 0, runMs: 2 });
  });
});

describe('the trace driver bounds requests in flight', () => {
  it('arrivals beyond the bound are rejected at once and counted, never run', async () => {
    const trace: Trace = { name: 'burst', durationS: 0.01, intervalS: 1, models: 1, timeScale: 1, rates: [10], arrivals: Array.from({ length: 10 }, () => ({ t: 0, model: 0 })) } as unknown as Trace;
    const core = new ColocationCore({ require: async () => ({ freedBytes: 0 }), release: () => 0, atMinimum: () => true }, { bytes: () => 0, load: async () => undefined, unload: async () => undefined }, { tIdleMs: 1000, watermarkBytes: 0 });
    let started = 0;
    let open!: () => void;
    const gate = new Promise<void>((res) => (open = res));
    const serving = drive(trace, core, ['a'], async () => {
      started++;
      await gate;
      return { model: 'a', path: 'warm', coldStart: false, waitMs: 0 };
    }, { sloMs: 1e9, maxInFlight: 3 });
    while (started < 3) await settle(1);
    await settle(20); // the other arrivals have come (all at t = 0) and found the bound full
    open();
    const res = await serving;
    expect(started).toBe(3);
    expect(res.rejected).toBe(7);
    expect(res.records.filter((x) => x.path === 'rejected').every((x) => !x.withinSlo)).toBe(true);
    expect(res.sloCompliance).toBeCloseTo(0.3, 10);
  });
});

describe('the model store and the executor (Dawn; SwiftShader without a GPU)', () => {
  const bed = useTestArena();

  it('a run fences only the inference lane: training work in flight does not hold its answer', async () => {
    const store = new ModelStore(bed.arena);
    store.registerBytes('t', tanhModel());
    await store.load('t');
    await store.run('t', input()); // compiled and planned
    // Training's lane has work in flight that does not finish until `release`: a fence of every lane waits for it.
    const d = bed.dev as unknown as { _submit: (lanes?: readonly Lane[]) => Promise<void> };
    const submit = d._submit;
    let release!: () => void;
    const trainingDone = new Promise<void>((res) => (release = res));
    const lanesAsked: (readonly Lane[] | undefined)[] = [];
    d._submit = function (this: unknown, lanes?: readonly Lane[]) {
      lanesAsked.push(lanes);
      const mine = submit.call(this, lanes);
      return lanes && !lanes.includes('train') ? mine : Promise.all([mine, trainingDone]).then(() => undefined);
    };
    try {
      const x = input();
      let answered = false;
      const run = store.run('t', x).then((y) => ((answered = true), y));
      for (let i = 0; i < 200 && !answered; i++) await settle(5);
      expect(answered).toBe(true);
      const y = (await run).y!.data as Float32Array;
      const xs = x.x!.data as Float32Array;
      y.forEach((v, i) => expect(Math.abs(v - Math.tanh(xs[i]!))).toBeLessThan(1e-5));
      expect(lanesAsked.every((l) => l !== undefined && l.length === 1 && l[0] === 'infer')).toBe(true);
    } finally {
      release();
      d._submit = submit;
    }
  }, 60_000);

  it('with concurrentRuns 2 another model answers while one is held; with 1 it waits its turn', async () => {
    for (const concurrentRuns of [1, 2]) {
      const store = new ModelStore(bed.arena, { concurrentRuns });
      store.registerBytes('a', tanhModel());
      store.registerBytes('b', tanhModel());
      await store.load('a');
      await store.load('b');
      await store.run('b', input());
      let release!: () => void;
      const held = new Promise<void>((res) => (release = res));
      let inA = false;
      const a = store.run('a', input(), { hook: async (_k, _s, issue) => ((inA = true), await held, issue()) });
      while (!inA) await settle(1);
      let bDone = false;
      const b = store.run('b', input()).then(() => (bDone = true));
      for (let i = 0; i < 100 && !bDone; i++) await settle(5);
      expect(bDone).toBe(concurrentRuns === 2);
      release();
      await Promise.all([a, b]);
      expect(bDone).toBe(true);
      await store.unload('a');
      await store.unload('b');
    }
  }, 60_000);

  it('the server reports each stage of an inference in /metrics', async () => {
    const store = new ModelStore(bed.arena);
    store.registerBytes('t', tanhModel());
    await store.load('t');
    const app = createServer({ store, arena: bed.arena });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const body = { inputs: [{ name: 'x', shape: [1, 6], datatype: 'FP32', data: Array.from(randn(6, r)) }] };
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/v2/models/t/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        expect(res.status).toBe(200);
      }
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const stage of ['queue', 'slot', 'engine']) expect(text).toMatch(new RegExp(`handover_infer_stage_seconds_count\\{model="t",stage="${stage}"\\} 3`));
    } finally {
      await app.close();
    }
  }, 60_000);
});
