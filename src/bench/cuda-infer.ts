// Batch-1 inference latency on CUDA (numbers, not tests): each model of
// ../shared/models run through a ModelStore on CudaDevice, with CUDA graphs
// (recorded once, replayed) and with eager launches, beside PyTorch eager from
// scripts/torch-infer-ref.py when given. A run is timed on the host, from
// inputs on the host to outputs on the host (what a caller of store.run waits).
//   node dist/src/bench/cuda-infer.js [--models DIR] [--runs 200] [--warmup 20]
//        [--torch torch.json] [--json out.json] [--backend cuda|webgpu] [--arena-mb 2048]
// (--backend webgpu: a smoke run where there is no GPU; WebGPU has no graphs.)
// The last line of stdout is the result as one JSON object.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arena } from '../core/arena.js';
import { parseModel } from '../onnx/loader.js';
import { randomInputs } from '../infer/random-inputs.js';
import { ModelStore, type TensorData } from '../infer/store.js';
import type { GraphStats } from '../infer/executor.js';
import { seeded } from '../train/data.js';
import { openDevice } from '../cli/open-device.js';

export const MODELS = ['squeezenet1_1', 'mobilenet_v2', 'tiny_gpt'] as const;

export interface Timing {
  p50: number;
  mean: number;
  min: number;
}

export interface InferRow {
  model: string;
  graphs: Timing;
  eager: Timing;
  graphStats: GraphStats;
  /** Replayed outputs equal eager outputs bit for bit (same inputs). */
  identical: boolean;
  torch?: Timing;
}

export interface InferBenchResult {
  device: string;
  date: string;
  runs: number;
  rows: InferRow[];
  missing: string[];
}

export function timing(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)]!, mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]! };
}

function sameBits(a: Record<string, TensorData>, b: Record<string, TensorData>): boolean {
  return Object.keys(a).every((k) => {
    const [x, y] = [a[k]!.data as ArrayBufferView, b[k]?.data as ArrayBufferView | undefined];
    if (!y || x.byteLength !== y.byteLength) return false;
    return Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
  });
}

async function timeRuns(store: ModelStore, name: string, inputs: Record<string, TensorData>, warmup: number, runs: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await store.run(name, inputs);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await store.run(name, inputs);
    ms.push(performance.now() - t0);
  }
  return timing(ms);
}

export async function runInferBench(o: { backend: string; arenaMb: number; models: string; runs: number; warmup: number; torch?: Record<string, Timing> }): Promise<InferBenchResult> {
  const d = await openDevice(o.backend, (l) => console.log(l));
  const arena = new Arena(d, { bytes: o.arenaMb * 2 ** 20 });
  const graphs = new ModelStore(arena, { graphs: true });
  const eager = new ModelStore(arena, { graphs: false });
  const rows: InferRow[] = [];
  const missing: string[] = [];
  try {
    for (const model of MODELS) {
      const file = join(o.models, `${model}.onnx`);
      if (!existsSync(file)) {
        console.log(`bench-infer: ${model}: ${file} not found (looked in ${o.models}; pass --models DIR)`);
        missing.push(file);
        continue;
      }
      const g = parseModel(readFileSync(file), file);
      const inputs = randomInputs(g, () => 1, seeded(1234));
      for (const s of [graphs, eager]) {
        s.register(model, file);
        await s.load(model);
      }
      // One run each first (graphs: eager warm-up, then a recording): same inputs, same bits.
      await graphs.run(model, inputs);
      const [a, b] = [await graphs.run(model, inputs), await eager.run(model, inputs)];
      const identical = sameBits(a, b);
      const row: InferRow = {
        model,
        graphs: await timeRuns(graphs, model, inputs, o.warmup, o.runs),
        eager: await timeRuns(eager, model, inputs, o.warmup, o.runs),
        graphStats: graphs.graphStats(model),
        identical,
        torch: o.torch?.[model],
      };
      rows.push(row);
      console.log(`${model}: graphs p50 ${row.graphs.p50.toFixed(3)} ms, eager launches p50 ${row.eager.p50.toFixed(3)} ms` +
        `${row.torch ? `, torch eager p50 ${row.torch.p50.toFixed(3)} ms` : ''}; captures ${row.graphStats.captures}, ` +
        `replays ${row.graphStats.replays}${row.graphStats.failure ? ` (recording failed: ${row.graphStats.failure})` : ''}; ` +
        `replay == eager bitwise: ${identical}`);
      for (const s of [graphs, eager]) await s.unload(model);
    }
  } finally {
    arena.destroy();
  }
  const result = { device: `${d.info.name} (${d.info.backend}, ${d.info.architecture})`, date: new Date().toISOString(), runs: o.runs, rows, missing };
  d.destroy();
  return result;
}

export function inferTable(r: InferBenchResult): string {
  const lines = [
    `batch-1 latency, p50 of ${r.runs} runs (mean in brackets), ${r.device}, ${r.date}`,
    '| model | handover ms (graphs) | handover ms (eager launches) | PyTorch eager ms | ratio (graphs / PyTorch) |',
    '| --- | --- | --- | --- | --- |',
  ];
  const f = (t?: Timing) => (t ? `${t.p50.toFixed(3)} (${t.mean.toFixed(3)})` : 'n/a');
  for (const x of r.rows) {
    const ratio = x.torch ? (x.graphs.p50 / x.torch.p50).toFixed(2) : 'n/a';
    lines.push(`| ${x.model}${x.identical ? '' : ' (replay != eager!)'} | ${f(x.graphs)} | ${f(x.eager)} | ${f(x.torch)} | ${ratio} |`);
  }
  for (const m of r.missing) lines.push(`| ${m} | missing | | | |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
  const torchFile = opt('--torch', '');
  let torch: Record<string, Timing> | undefined;
  if (torchFile) {
    if (existsSync(torchFile)) torch = (JSON.parse(readFileSync(torchFile, 'utf8')) as { models: Record<string, Timing> }).models;
    else console.log(`bench-infer: no PyTorch results at ${torchFile}; the PyTorch column stays empty`);
  }
  const r = await runInferBench({ backend: opt('--backend', 'cuda'), arenaMb: Number(opt('--arena-mb', '2048')), models: opt('--models', '../shared/models'), runs: Number(opt('--runs', '200')), warmup: Number(opt('--warmup', '20')), torch });
  const out = opt('--json', '');
  if (out) writeFileSync(out, JSON.stringify(r, null, 2));
  console.log(`\n${inferTable(r)}`);
  console.log(JSON.stringify(r));
  if (r.rows.length === 0) process.exitCode = 1;
}
