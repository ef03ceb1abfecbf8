// `handover bench infer-webgpu`: see src/bench/infer-webgpu.ts.
import { UsageError } from '../core/errors.js';
import { inferWebGpuBench, inferWebGpuTable } from '../bench/infer-webgpu.js';
import { WebGpuDevice } from '../devices/webgpu/device.js';

export async function benchInferWebGpu(f: Record<string, unknown>): Promise<number> {
  const batches = String(f.batches).split(',').map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new UsageError(`--batches must be positive integers separated by commas, got '${f.batches}'`);
  const runs = Number(f.runs);
  const warmup = Number(f.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new UsageError('--runs must be a positive integer and --warmup a non-negative one');
  const dev = await WebGpuDevice.open({ log: (l) => console.error(l) });
  try {
    const r = await inferWebGpuBench(dev, {
      models: String(f.models), runs, warmup, batches,
      arenaBytes: (dev.info.software ? 512 : 4096) * 2 ** 20,
      only: f.model ? String(f.model).split(',') : undefined,
      ort: f.ort !== false,
      log: (l) => console.error(l),
    });
    console.log(inferWebGpuTable(r));
    if (f.json) console.log(JSON.stringify(r));
    return r.rows.length > 0 ? 0 : 1;
  } finally {
    dev.destroy();
  }
}
