// The CUDA inference lane and CUDA graphs, on the GPU: a model's replayed
// recording gives bit-identical outputs to eager launches (and agrees with
// onnxruntime), is recorded again when the workspace moves; inference reading
// a page just taken from training sees zeros and its own writes, never
// training's data, and inference work does not wait for queued training work.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import { fill } from '../src/kernels/elementwise.js';
import { matmul } from '../src/kernels/matmul.js';
import { parseModel } from '../src/onnx/loader.js';
import { compare, loadOrt, runOrt } from '../src/infer/ort.js';
import { randomInputs } from '../src/infer/random-inputs.js';
import { ModelStore, type TensorData } from '../src/infer/store.js';
import { probeCuda } from '../src/devices/cuda/probe.js';
import type { GpuDevice, Lane, Range } from '../src/core/device.js';
import { rng, testDevice } from './helpers/gpu.js';

const probe = await probeCuda();
const why = probe.device ? '' : ` (skipped: ${probe.reason}; run on the GPU machine)`;
if (!probe.device) console.warn(`cuda-graphs: skipped: ${probe.reason}`);

const r = rng(Date.now() & 0xffff);
// The GPU machine's test bundle may lack onnxruntime-node: then replays are checked against eager launches only.
const ort = await loadOrt().then(() => true, (e: Error) => (console.warn(`cuda-graphs: no onnxruntime comparison: ${e.message}`), false));
const againstOrt = async (file: string, x: { inputs: Record<string, TensorData>; out: Record<string, TensorData> }) => {
  if (ort) expect(compare(x.out, await runOrt(file, x.inputs)).relErr).toBeLessThanOrEqual(1e-4);
};
const TRAINING = 0x5eed1e55;
/** Training's frees need a training proof (a gate's; arena.fence() proves inference's): these tests launch directly, so an idle gate drains at once after a device fence. */
const trainDrained = async (dev: GpuDevice) => {
  await dev.fence();
  return new Gate(dev).drain();
};

/** Bytes of every output, for bitwise comparison (NaN payloads included). */
function bits(out: Record<string, TensorData>): Map<string, Uint8Array> {
  return new Map(Object.entries(out).map(([k, t]) => {
    const d = t.data as ArrayBufferView;
    return [k, new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
  }));
}

type LaunchArgs = [string, Range[], ArrayBuffer | undefined, [number, number, number], Lane];
interface Hooks {
  _launch(...a: LaunchArgs): void;
  _record(id: number, lane: Lane, issue: () => void): void;
  _replay(id: number, lane: Lane): void;
  _releaseRecording(id: number, lane: Lane): void;
}

/**
 * A device whose recordings behave like CUDA graphs (the ranges resolved at
 * recording time are baked in, replay issues them again) over any backend:
 * a replay the executor should have re-recorded writes the wrong place.
 */
function recordingDouble(base: GpuDevice): GpuDevice {
  const dev = Object.create(base) as GpuDevice & Hooks;
  const launch = (base as unknown as Hooks)._launch;
  const recordings = new Map<number, LaunchArgs[]>();
  let into: LaunchArgs[] | null = null;
  Object.defineProperty(dev, 'info', { value: { ...base.info, capabilities: { ...base.info.capabilities, graphs: true } } });
  dev._launch = (...a: LaunchArgs) => (into ? into.push(a) : launch.apply(dev, a));
  dev._record = (id, _lane, issue) => {
    into = [];
    try {
      issue();
      recordings.set(id, into);
    } finally {
      into = null;
    }
  };
  dev._replay = (id) => {
    for (const a of recordings.get(id)!) launch.apply(dev, a);
  };
  dev._releaseRecording = (id) => recordings.delete(id);
  return dev;
}

// The double runs over the test backend (WebGPU unless HANDOVER_TEST_BACKEND=cuda): the GPU machine's CUDA bundle has no dawn.node.
const noTestDevice = await testDevice().then(() => '', (e: Error) => e.message);
if (noTestDevice) console.warn(`cuda-graphs: graph double skipped: the test backend did not open (${noTestDevice})`);

/** The tiny GPT in a store with graphs and one without, over a recording double; `same` runs both on fresh inputs and compares bit for bit. */
async function tinyGptStores() {
  const dev = recordingDouble(await testDevice());
  const arena = new Arena(dev, { bytes: 64 << 20, pageBytes: 64 << 10 });
  const file = 'test/fixtures/tiny_gpt.onnx';
  const eager = new ModelStore(arena, { poison: true, graphs: false });
  const graphs = new ModelStore(arena, { poison: true });
  for (const s of [eager, graphs]) s.register('gpt', file);
  const g = parseModel(readFileSync(file), file);
  const same = async () => {
    const inputs = randomInputs(g, () => 1, r);
    expect(bits(await graphs.run('gpt', inputs))).toEqual(bits(await eager.run('gpt', inputs)));
  };
  return { arena, eager, graphs, same };
}

describe.skipIf(noTestDevice !== '')(`executor recordings (a graph double on the test backend)${noTestDevice ? ` (skipped: the test backend did not open: ${noTestDevice})` : ''}`, () => {
  it('replays only while the workspace and weights are where they were recorded; outputs equal eager launches', async () => {
    const { arena, eager, graphs, same } = await tinyGptStores();
    try {
      await same(); // cold: a pipelined load, launched eagerly
      await same(); // records
      await same(); // replays
      expect(graphs.graphStats('gpt')).toEqual({ eager: 1, captures: 1, replays: 2, poolMoved: 0, workspaceMoved: 0 });
      const blocker = arena.allocate('infer', arena.pageBytes * 8, 'blocker');
      await same(); // the blocker took the workspace's place: it moved, records again
      await same();
      expect(graphs.graphStats('gpt')).toEqual({ eager: 1, captures: 2, replays: 4, poolMoved: 0, workspaceMoved: 1 });
      arena.free(blocker);
      arena.reclaim(await arena.fence());
      await same(); // the workspace stays where its last recording was (free still): that recording replays, none is made
      expect(graphs.graphStats('gpt')).toEqual({ eager: 1, captures: 2, replays: 5, poolMoved: 0, workspaceMoved: 1 });
      await graphs.unload('gpt');
      await graphs.load('gpt'); // the weights may come back elsewhere: the key says
      await same();
      await same();
      const st = graphs.graphStats('gpt');
      expect(st.replays).toBe(7);
      expect(st.captures).toBeGreaterThanOrEqual(2); // a new recording only if the weights came back elsewhere
      expect(eager.graphStats('gpt')).toEqual({ eager: 8, captures: 0, replays: 0, poolMoved: 0, workspaceMoved: 0 });
    } finally {
      arena.destroy();
    }
  });

  it("a reloaded model's pool goes back where it was when that is free: its recording replays (round 8)", async () => {
    const { arena, graphs, same } = await tinyGptStores();
    try {
      const below = arena.allocate('infer', arena.pageBytes * 64, 'another model');
      await same(); // cold: loads above `below`, eager
      await same(); // records
      const before = graphs.graphStats('gpt');
      expect(before).toMatchObject({ captures: 1, poolMoved: 0 });
      await graphs.unload('gpt');
      arena.free(below); // the lowest free run now starts below the pool's old place
      arena.reclaim(await arena.fence());
      await graphs.load('gpt');
      await same();
      await same();
      expect(graphs.graphStats('gpt')).toMatchObject({ captures: 1, poolMoved: 0, replays: before.replays + 2 });
    } finally {
      arena.destroy();
    }
  });

  it('keeps the workspace where its recording was when a lower run of pages frees up: no recording anew (round 8)', async () => {
    const { arena, graphs, same } = await tinyGptStores();
    try {
      await graphs.load('gpt');
      const below = arena.allocate('infer', arena.pageBytes * 64, 'another model'); // the lowest free pages now
      await same(); // eager (the first run)
      await same(); // records, above `below`
      expect(graphs.graphStats('gpt')).toMatchObject({ captures: 1, workspaceMoved: 0 });
      arena.free(below); // the lowest free run is now below the workspace's place (the arena's own choice would move it)
      arena.reclaim(await arena.fence());
      await same();
      await same();
      expect(graphs.graphStats('gpt')).toMatchObject({ captures: 1, replays: 3, workspaceMoved: 0 });
    } finally {
      arena.destroy();
    }
  });
});

describe.skipIf(!probe.device)(`CUDA graphs${why}`, () => {
  const d = probe.device!;
  let arena: Arena;
  beforeAll(() => {
    arena = new Arena(d, { bytes: 256 << 20 });
  });
  afterAll(() => arena.destroy());

  for (const [name, file] of [['squeezenet1_1', 'test/fixtures/squeezenet1_1.onnx'], ['tiny_gpt', 'test/fixtures/tiny_gpt.onnx']] as const) {
    it(`${name}: replays are bit-identical to eager launches, agree with onnxruntime, and re-record when the workspace moves`, async () => {
      const eager = new ModelStore(arena, { poison: true, graphs: false });
      const graphs = new ModelStore(arena, { poison: true, graphs: true });
      eager.register(name, file);
      graphs.register(name, file);
      await eager.load(name);
      await graphs.load(name);
      const g = parseModel(readFileSync(file), file);
      const same = async () => {
        const inputs = randomInputs(g, () => 1, r);
        const [a, b] = [await eager.run(name, inputs), await graphs.run(name, inputs)];
        expect(bits(b)).toEqual(bits(a));
        return { inputs, out: b };
      };
      await againstOrt(file, await same()); // warm-up: eager on both
      await same(); // records, replays
      await againstOrt(file, await same()); // replays
      expect(graphs.graphStats(name)).toEqual({ eager: 1, captures: 1, replays: 2, poolMoved: 0, workspaceMoved: 0 });
      expect(eager.graphStats(name)).toEqual({ eager: 3, captures: 0, replays: 0, poolMoved: 0, workspaceMoved: 0 });

      // A blocker takes the lowest free pages, where the last workspace was: the next one lands elsewhere.
      const blocker = arena.allocate('infer', arena.pageBytes * 4, 'blocker');
      await same();
      expect(graphs.graphStats(name)).toMatchObject({ captures: 2, replays: 3 });
      await same();
      expect(graphs.graphStats(name)).toMatchObject({ captures: 2, replays: 4 });
      arena.free(blocker);
      arena.reclaim(await arena.fence());
      await same(); // stays where its last recording was (Executor.workspaceWhereRecorded): that recording replays
      expect(graphs.graphStats(name)).toMatchObject({ eager: 1, captures: 2, replays: 5 });
      expect(graphs.graphStats(name).failure).toBeUndefined();
      await eager.unload(name);
      await graphs.unload(name);
      expect(arena.stats().infer).toBe(0);
    });
  }

  it('a recording refuses anything but launches on its lane', () => {
    const a = arena.allocate('infer', 4096);
    try {
      expect(() => d.record('infer', () => d.write(a.range(), new Uint32Array(1024), 'infer'))).toThrow(/while lane infer is recording/);
      expect(() => d.record('infer', () => d.launch(fill(a, 1024, 1)))).toThrow(/launch on lane train while lane infer is recording/);
    } finally {
      arena.free(a);
    }
  });

  it('inference reading pages just taken from training sees zeros and its own writes, never training data', async () => {
    const n = 4096; // a GEMM of n^3 keeps the training lane busy for milliseconds
    const big = (label: string) => arena.allocate('train', n * n * 4, label);
    const [x, y, z] = [big('x'), big('y'), big('z')];
    d.launch(fill(x, n * n, 0x3c23d70a));
    d.launch(fill(y, n * n, 0x3c23d70a));
    const small = new Arena(d, { bytes: 2 * arena.pageBytes }); // two pages: the reader gets the victim's
    try {
      const page = small.allocate('train', small.bytes, 'victim');
      const victim = page.range();
      small.free(page);
      small.reclaim(await trainDrained(d));
      // Training work queued behind GEMMs that still writes the victim pages: what a late
      // kernel would do if the arena's drain proof were wrong. The device alone must order it
      // before the zero-fill that hands the pages over.
      for (let i = 0; i < 8; i++) d.launch(matmul({ a: x, b: y, c: z, m: n, n, k: n }));
      d.launch(fill(victim, victim.bytes / 4, TRAINING));
      const inf = small.allocate('infer', small.bytes, 'reader');
      expect(inf.range()).toEqual(victim);
      expect(small.stats().zeroedBytes).toBe(small.bytes);
      const own = Uint32Array.from({ length: 256 }, (_, i) => i + 1);
      d.write({ ...inf.range(), bytes: own.byteLength }, own, 'infer');
      const check = (got: Uint8Array) => {
        const w = new Uint32Array(got.buffer, got.byteOffset, got.byteLength / 4);
        expect([...w.subarray(0, 256)]).toEqual([...own]);
        expect(w.includes(TRAINING)).toBe(false);
        expect(w.subarray(256).every((v) => v === 0)).toBe(true);
      };
      check(await d.read(inf.range(), 'infer'));
      await d.fence(); // every lane done: a zero-fill that ran before the late fill would show it now
      check(await d.read(inf.range(), 'infer'));
      small.free(inf);
      small.reclaim(await small.fence());
    } finally {
      small.destroy();
      for (const a of [x, y, z]) arena.free(a);
      arena.reclaim(await trainDrained(d));
    }
  });

  it('inference work on pages it already holds does not wait for queued training work', async () => {
    const n = 4096;
    const big = (label: string) => arena.allocate('train', n * n * 4, label);
    const [x, y, z] = [big('x'), big('y'), big('z')];
    const mine = arena.allocate('infer', 1 << 16, 'mine');
    await d.fence(); // every zero-fill done: nothing below crosses lanes
    const trainDone = d.cu.eventCreate(false);
    try {
      for (let i = 0; i < 40; i++) d.launch(matmul({ a: x, b: y, c: z, m: n, n, k: n })); // ~100 ms of training
      d.cu.eventRecord(trainDone, d.trainingStream);
      const want = Uint32Array.from({ length: 1 << 14 }, () => Math.floor(r() * 2 ** 32));
      d.write(mine.range(), want, 'infer');
      const got = await d.read(mine.range(), 'infer');
      const trainingStillRunning = !d.cu.eventQuery(trainDone);
      expect([...new Uint32Array(got.buffer, got.byteOffset, got.byteLength / 4)]).toEqual([...want]);
      expect(trainingStillRunning).toBe(true);
      await d.fence();
      expect(d.cu.eventQuery(trainDone)).toBe(true);
    } finally {
      d.cu.eventDestroy(trainDone);
      for (const a of [x, y, z, mine]) arena.free(a);
      arena.reclaim(await trainDrained(d));
      arena.reclaim(await arena.fence());
    }
  });
});
