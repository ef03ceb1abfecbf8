// How a cold start travels, per model file, on one device in one process:
// - staged: the weights written from ordinary host memory, one write per
//   weight tensor (round 4's path on CUDA: each write copied into a pinned
//   staging buffer on the host, then one DMA), then a fence;
// - upload: the store's reload from its host weights (pinned on CUDA: one
//   DMA per layer group, no host copy), then a fence;
// - cold start: the load issued and the run started at once (layer k runs
//   while layer k+1 uploads), until the result is on the host;
// - exec: a warm run, request to result.
// Medians of `rounds` after one warm-up each; printed by scripts/device-eval.sh.
import { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { ModelStore } from '../infer/store.js';
import { randomInputs } from '../infer/random-inputs.js';
import { parseModel } from '../onnx/loader.js';
import { quantile } from '../sched/driver.js';
import { seeded } from '../train/data.js';

export interface ReloadRow {
  model: string;
  bytes: number;
  tensors: number;
  stagedMs: number;
  uploadMs: number;
  coldMs: number;
  coldP90Ms: number;
  execMs: number;
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

async function timed(rounds: number, once: () => Promise<void>): Promise<number[]> {
  await once();
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await once();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function reloadBench(dev: GpuDevice, files: { name: string; onnx: Uint8Array }[], pageBytes: number, rounds = 9): Promise<ReloadRow[]> {
  const rows: ReloadRow[] = [];
  for (const f of files) {
    const graph = parseModel(f.onnx, f.name);
    const input = randomInputs(graph, () => 1, seeded(1));
    const sizes = [...graph.initializers.values()].map((t) => Math.ceil((t.dims.reduce((a, d) => a * d, 1) * 4) / 256) * 256);
    const total = sizes.reduce((a, b) => a + b, 0);
    const pages = Math.ceil((2 * total) / pageBytes) + Math.ceil((256 << 20) / pageBytes);
    const arena = new Arena(dev, { bytes: pages * pageBytes, pageBytes });
    const store = new ModelStore(arena, { hostWeights: 'keep' });
    try {
      const info = store.registerBytes(f.name, f.onnx);
      const plain = new Uint8Array(total).fill(7);
      const target = arena.allocate('infer', total, 'staged');
      const staged = await timed(rounds, async () => {
        const r = target.range();
        let at = 0;
        for (const n of sizes) {
          dev.write({ backing: r.backing, offset: r.offset + at, bytes: n }, plain.subarray(at, at + n), 'infer');
          at += n;
        }
        await dev.fenceLane('infer');
      });
      arena.free(target);
      await store.load(f.name);
      const exec = await timed(rounds, async () => void (await store.run(f.name, input)));
      const cold = await timed(rounds, async () => {
        await store.unload(f.name);
        const loading = store.load(f.name, { pipelined: true });
        await store.run(f.name, input);
        await loading;
      });
      // the load alone (not the unload before it)
      const loads: number[] = [];
      for (let i = 0; i < rounds; i++) {
        await store.unload(f.name);
        const t0 = performance.now();
        await store.load(f.name);
        loads.push(performance.now() - t0);
      }
      rows.push({
        model: f.name, bytes: info.bytes, tensors: sizes.length, stagedMs: median(staged), uploadMs: median(loads),
        coldMs: median(cold), coldP90Ms: quantile([...cold].sort((a, b) => a - b), 0.9), execMs: median(exec),
      });
    } finally {
      await store.dispose();
      arena.destroy();
    }
  }
  return rows;
}

export function reloadTable(rows: ReloadRow[]): string {
  const head = '| model | MiB | tensors | staged write ms | upload from host weights ms | pipelined cold start ms (p50 / p90) | warm exec ms |\n| --- | --- | --- | --- | --- | --- | --- |';
  return [head, ...rows.map((r) => `| ${r.model} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${r.tensors} | ${r.stagedMs.toFixed(2)} | ${r.uploadMs.toFixed(2)} | ${r.coldMs.toFixed(2)} / ${r.coldP90Ms.toFixed(2)} | ${r.execMs.toFixed(2)} |`)].join('\n');
}
