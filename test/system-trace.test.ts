// One colocation system behind every face: a scripted trace (a few requests,
// a burst, idleness) played through `handover run`'s path (system.infer, what
// the trace driver calls) and through `handover serve --train`'s (the same
// spec, the server's SystemStore, over HTTP on loopback) gives the same
// sequence of scheduler decisions and the same answers. With training
// quiescent the whole sequence is compared, pages included; with training
// running, what a require frees depends on where training was, so the loads
// and unloads are compared and the requires are only counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import type { GpuDevice } from '../src/core/device.js';
import { mlpOnnx } from '../src/colocate/mlp-model.js';
import { serveTrainingSpec } from '../src/colocate/serve-training.js';
import { ColdModelError, type TensorData } from '../src/infer/store.js';
import { createServer } from '../src/serve/server.js';
import { buildSystem, SystemStore, type ColocationSystem, type Decision } from '../src/system/index.js';
import { loadDigits } from '../src/train/data-node.js';
import type { Dataset } from '../src/train/data.js';
import { randn, rng, testDevice } from './helpers/gpu.js';

const MODELS = [
  { name: 'wide', onnx: mlpOnnx({ sizes: [64, 256, 10], seed: 5, name: 'wide' }) },
  { name: 'narrow', onnx: mlpOnnx({ sizes: [64, 96, 10], seed: 6, name: 'narrow' }) },
];
const T_IDLE = 1000;
/** Pages of 64 KiB; W is one page. */
const PAGE = 64 << 10;

/** The trace: requests one by one, a burst, idleness (the clock jumps, the core ticks), requests after it, idleness again. */
type Step = { send: string[] } | { idleMs: number };
const TRACE: Step[] = [
  { send: ['wide'] },
  { send: ['wide'] },
  { send: ['narrow'] },
  { send: ['wide', 'narrow', 'wide', 'narrow', 'wide', 'narrow'] },
  { idleMs: 4 * T_IDLE },
  { send: ['narrow'] },
  { send: ['wide'] },
  { idleMs: 4 * T_IDLE },
];

type Send = (model: string, x: Float32Array) => Promise<Float32Array>;

/** Plays the trace; each request's input is drawn in trace order, so both paths send the same numbers. */
async function play(system: ColocationSystem, clock: { t: number }, send: Send): Promise<Float32Array[]> {
  const r = rng(42);
  const answers: Float32Array[] = [];
  for (const step of TRACE) {
    if ('idleMs' in step) {
      clock.t += step.idleMs;
      await system.tick();
      continue;
    }
    const xs = step.send.map(() => randn(2 * 64, r));
    clock.t += 1;
    answers.push(...(await Promise.all(step.send.map((m, i) => send(m, xs[i]!)))));
  }
  return answers;
}

const input = (x: Float32Array): Record<string, TensorData> => ({ input: { type: 'float32', dims: [2, 64], data: x } });

let dev: GpuDevice;
let data: Dataset;
beforeAll(async () => {
  dev = await testDevice();
  data = loadDigits(0).train;
});

interface Played {
  decisions: Decision[];
  answers: Float32Array[];
}

async function withSystem(running: boolean, body: (s: ColocationSystem, clock: { t: number }) => Promise<Float32Array[]>): Promise<Played> {
  const arena = new Arena(dev, { bytes: 12 << 20, pageBytes: PAGE });
  const clock = { t: 0 };
  const system = await buildSystem(serveTrainingSpec(arena, MODELS, { dataset: data, microBatch: 128, tIdleMs: T_IDLE, watermarkBytes: PAGE, now: () => clock.t }));
  try {
    if (running) {
      system.start({ tickMs: null });
      await system.trainingStarted();
    }
    const answers = await body(system, clock);
    return { decisions: [...system.decisions.entries], answers };
  } finally {
    await system.destroy();
    arena.destroy();
  }
}

/** `handover run`'s path: the system's request path, called directly. */
const runPath = (running: boolean) =>
  withSystem(running, (system, clock) => play(system, clock, async (m, x) => (await system.infer(m, input(x))).outputs.output!.data as Float32Array));

/** `handover serve --train`'s path: the server on the system's SystemStore, KServe v2 JSON over HTTP. */
const servePath = (running: boolean) =>
  withSystem(running, async (system, clock) => {
    const app = createServer({ store: new SystemStore(system), arena: system.arena, maxConcurrentRuns: 8 });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      return await play(system, clock, async (m, x) => {
        const res = await fetch(`${url}/v2/models/${m}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'input', shape: [2, 64], datatype: 'FP32', data: Array.from(x) }] }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { outputs: { data: number[] }[] };
        return Float32Array.from(body.outputs[0]!.data);
      });
    } finally {
      await app.close();
    }
  });

/** What each request should answer: the MLP in float64 (Gemm, Relu, Gemm, Softmax). */
async function reference(): Promise<Float32Array[]> {
  const ort = await import('onnxruntime-node');
  const r = rng(42);
  const out: Float32Array[] = [];
  const byName = new Map(await Promise.all(MODELS.map(async (m) => [m.name, await ort.InferenceSession.create(m.onnx)] as const)));
  for (const step of TRACE) {
    if ('idleMs' in step) continue;
    const xs = step.send.map(() => randn(2 * 64, r));
    for (let i = 0; i < step.send.length; i++) {
      const res = await byName.get(step.send[i]!)!.run({ input: new ort.Tensor('float32', xs[i]!, [2, 64]) });
      out.push(res.output!.data as Float32Array);
    }
  }
  return out;
}

const kinds = (d: Decision[], keep: string[]) => d.filter((e) => keep.includes(e.kind)).map((e) => (e.kind === 'load' || e.kind === 'unload' ? `${e.kind} ${e.model} ${e.pages}p` : e.kind));

describe('one system behind handover run and handover serve --train', () => {
  let want: Float32Array[];
  beforeAll(async () => {
    want = await reference();
  });
  afterAll(() => undefined);

  it('with training quiescent: the same decisions (pages included) and the same answers', async () => {
    const run = await runPath(false);
    const serve = await servePath(false);
    const all = ['load', 'unload', 'require', 'release', 'discard'];
    console.log(`run decisions: ${kinds(run.decisions, all).join(', ')}`);
    expect(serve.decisions.map(({ kind, model, pages }) => ({ kind, model, pages }))).toEqual(run.decisions.map(({ kind, model, pages }) => ({ kind, model, pages })));
    // The trace makes loads and requires happen; training's largest micro-batch (128) fits beside both models,
    // so the idle periods unload nothing and release nothing (an unload would only cost a cold start).
    for (const k of ['load', 'require']) expect(run.decisions.some((d) => d.kind === k), k).toBe(true);
    for (const k of ['unload', 'release', 'discard']) expect(run.decisions.some((d) => d.kind === k), k).toBe(false);
    expect(run.answers).toHaveLength(want.length);
    serve.answers.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(run.answers[i]!)));
    run.answers.forEach((a, i) => a.forEach((v, k) => expect(Math.abs(v - want[i]![k]!)).toBeLessThan(1e-5)));
  }, 300_000);

  it('with training running: the same loads and unloads, requires on both, and the same answers', async () => {
    const run = await runPath(true);
    const serve = await servePath(true);
    console.log(`run decisions: ${kinds(run.decisions, ['load', 'unload', 'require', 'release', 'discard']).join(', ')}`);
    console.log(`serve decisions: ${kinds(serve.decisions, ['load', 'unload', 'require', 'release', 'discard']).join(', ')}`);
    expect(kinds(serve.decisions, ['load', 'unload'])).toEqual(kinds(run.decisions, ['load', 'unload']));
    for (const p of [run, serve]) expect(p.decisions.filter((d) => d.kind === 'require').length).toBeGreaterThan(0);
    serve.answers.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(run.answers[i]!)));
    run.answers.forEach((a, i) => a.forEach((v, k) => expect(Math.abs(v - want[i]![k]!)).toBeLessThan(1e-5)));
  }, 300_000);

  it('a run for a cold model that the scheduler did not load is an error, not a load behind its back', async () => {
    await withSystem(false, async (system) => {
      const x = input(randn(2 * 64, rng(1)));
      await expect(system.store.run('wide', x)).rejects.toThrow(ColdModelError);
      expect(system.store.get('wide')!.state).toBe('cold');
      expect(system.decisions.entries).toEqual([]);
      await system.infer('wide', x); // through the request path: the scheduler loads it
      // A require for the model's pages, then the load (the watermark's refill, a second require, may land before it).
      const seen = system.decisions.entries.map((d) => d.kind);
      expect(seen[0]).toBe('require');
      expect(seen.filter((k) => k !== 'require')).toEqual(['load']);
      return [];
    });
  }, 120_000);
});
