// Where a decoder step spends its time: a prefill of one long prompt, and
// decode steps of a full batch of sequences of different cached lengths
// (continuous batching's usual step), each timed on the host around
// Generator.step, with the engine's last-run host phases (write / issue /
// read / fence), how many graph runs a step made and how runs were issued
// (eager, recorded, replayed), and the bytes a batched decode step wrote to
// the GPU. Run for each decoder file and past given, in the same process, so
// a past kept on the GPU and one uploaded from the host (LLM round 4's path),
// or a padded export and a plain one, compare in one run
// (scripts/device-llm.sh, PROFILE).
import { Arena } from '../../core/arena.js';
import type { GpuDevice } from '../../core/device.js';
import { ModelStore } from '../../infer/store.js';
import { Generator } from '../../llm/generate.js';
import { PagedKvCache } from '../../llm/kv-cache.js';
import { defaultRunPositions } from '../../llm/padded.js';
import { kvShapeOf } from './kv-shape.js';

export interface StepBenchSpec {
  arenaBytes: number;
  pageBytes: number;
  vocab: number;
  maxPositions: number;
  maxBatch: number;
  maxContext: number;
  /** Decode steps timed (after two warm-up steps). */
  steps: number;
  /** Where the runs' past comes from (PagedKvCache's past; default 'device'). */
  past?: 'device' | 'host';
}

export interface StepBenchResult {
  model: string;
  padded: boolean;
  past: 'device' | 'host';
  /** Median bytes a batched decode step wrote to the GPU (inputs, tables, new keys and values). */
  decodeWriteBytes: number;
  /** Median ms of a prefill of maxContext - 1 tokens (batch 1), and of a 16-token one. */
  prefillLongMs: number;
  prefillShortMs: number;
  /** Median ms of a decode step over maxBatch sequences of different lengths, and at batch 1. */
  decodeBatchMs: number;
  decodeOneMs: number;
  /** Graph runs per batched decode step. */
  runsPerStep: number;
  /** Host phases of the last batched decode step's last run (ms). */
  phases: Record<string, number>;
  graphs: { eager: number; captures: number; replays: number; failure?: string };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchSteps(dev: GpuDevice, modelFile: string, spec: StepBenchSpec): Promise<StepBenchResult> {
  const arena = new Arena(dev, { bytes: spec.arenaBytes, pageBytes: spec.pageBytes });
  try {
    const store = new ModelStore(arena);
    store.register('gpt', modelFile);
    await store.load('gpt');
    const past = spec.past ?? 'device';
    const cache = new PagedKvCache(arena, kvShapeOf(modelFile), { blockTokens: 16, past });
    const gen = new Generator(store, 'gpt', cache, { vocab: spec.vocab, maxPositions: spec.maxPositions, maxBatch: spec.maxBatch, runPositions: defaultRunPositions(spec.maxBatch, spec.maxContext) });
    let runs = 0;
    const run = store.run.bind(store);
    store.run = ((...a: Parameters<ModelStore['run']>) => (runs++, run(...a))) as ModelStore['run'];
    const prompt = (n: number, at: number) => Array.from({ length: n }, (_, k) => (k * 7 + at) % spec.vocab);
    const timed = async (entries: { seq: number; tokens: number[] }[]) => {
      const t0 = performance.now();
      await gen.step(entries);
      return performance.now() - t0;
    };
    const prefill = async (n: number) => {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const seq = gen.open();
        ms.push(await timed([{ seq, tokens: prompt(n, i) }]));
        await cache.end(seq);
      }
      return median(ms.slice(1));
    };
    const prefillLongMs = await prefill(spec.maxContext - 1);
    const prefillShortMs = await prefill(16);
    // maxBatch sequences of lengths spread over [16, maxContext / 2): every one a different cached length.
    const seqs = Array.from({ length: spec.maxBatch }, () => gen.open());
    const span = Math.max(1, Math.floor((spec.maxContext / 2 - 16) / spec.maxBatch));
    for (const [i, seq] of seqs.entries()) await gen.step([{ seq, tokens: prompt(16 + i * span, i) }]);
    let written = 0;
    const write = dev.write.bind(dev);
    dev.write = ((range, data, lane) => ((written += data.byteLength), write(range, data, lane))) as typeof dev.write;
    const decode = async (ids: number[]) => {
      const ms: number[] = [];
      const bytes: number[] = [];
      let r0 = runs;
      for (let s = 0; s < spec.steps + 2; s++) {
        if (s === 2) r0 = runs;
        const w0 = written;
        const t = await timed(ids.map((seq) => ({ seq, tokens: [(s * 13 + seq) % spec.vocab] })));
        if (s >= 2) ms.push(t), bytes.push(written - w0);
      }
      return { ms: median(ms), runs: (runs - r0) / spec.steps, bytes: median(bytes) };
    };
    const batch = await decode(seqs);
    const phases = { ...(store.lastPhases('gpt') ?? {}) };
    const one = await decode(seqs.slice(0, 1));
    for (const s of seqs) await cache.end(s);
    dev.write = write;
    return {
      model: modelFile, padded: gen.isPadded, past, decodeWriteBytes: batch.bytes, prefillLongMs, prefillShortMs, decodeBatchMs: batch.ms, decodeOneMs: one.ms,
      runsPerStep: batch.runs, phases, graphs: store.graphStats('gpt'),
    };
  } finally {
    delete (dev as { write?: unknown }).write; // the prototype's again
    arena.destroy();
  }
}
