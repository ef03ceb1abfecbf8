// `handover bench train-backends`: see src/bench/train-backends.ts.
import type { GpuDevice } from '../core/device.js';
import { UsageError } from '../core/errors.js';
import { trainBackendRow, trainBackendsTable, type TrainBackendRow, type TrainBackendsOptions } from '../bench/train-backends.js';
import { loadDataset } from '../train/data-node.js';
import { WebGpuDevice } from '../devices/webgpu/device.js';
import { openDevice } from './open-device.js';

/** Backends the bench knows: the first one named is the reference. */
const BACKENDS: Record<string, (log: (l: string) => void) => Promise<GpuDevice>> = {
  cuda: (log) => openDevice('cuda', log),
  webgpu: (log) => WebGpuDevice.open({ log }),
  'webgpu-tiled': (log) => WebGpuDevice.open({ log, kernels: 'tiled' }),
  'webgpu-register': (log) => WebGpuDevice.open({ log, kernels: 'register' }),
};

export async function benchTrainBackends(f: Record<string, unknown>): Promise<number> {
  const names = String(f.backends).split(',');
  const bad = names.find((n) => !(n in BACKENDS));
  if (bad !== undefined) throw new UsageError(`unknown backend '${bad}' in --backends: use ${Object.keys(BACKENDS).join(', ')}`);
  const hidden = String(f.layers).split('-');
  if (hidden.some((h) => !/^[1-9]\d*$/.test(h))) throw new UsageError(`--layers must be hidden widths like 4096-4096, got '${f.layers}'`);
  const data = loadDataset('digits').train;
  const o: TrainBackendsOptions = {
    layers: [data.features, ...hidden.map(Number), data.classes],
    batch: Number(f['micro-batch']),
    steps: Number(f.steps),
    warmup: Number(f.warmup),
    matmulReps: Number(f.steps),
    log: (l) => console.error(l),
  };
  const rows: TrainBackendRow[] = [];
  const failed: { backend: string; error: string }[] = [];
  for (const name of names) {
    // One backend failing (no adapter, no addon) leaves the others measured; each row is printed when done.
    try {
      const dev = await BACKENDS[name]!(o.log!);
      try {
        const label = dev.info.backend === 'webgpu' ? `${name} (${(dev as WebGpuDevice).kernelSet} kernels)` : name;
        rows.push(await trainBackendRow(label, dev, o, data));
        console.error(`${label}: ${JSON.stringify(rows.at(-1))}`);
      } finally {
        dev.destroy();
      }
    } catch (e) {
      failed.push({ backend: name, error: (e as Error).message });
      console.error(`bench train-backends: ${name} failed: ${(e as Error).message}`);
    }
  }
  console.log(trainBackendsTable(rows, o));
  for (const f of failed) console.log(`\n${f.backend}: not measured (${f.error})`);
  if (f.json) console.log(JSON.stringify({ options: { ...o, log: undefined }, rows, failed }));
  return failed.length > 0 ? 1 : 0;
}
