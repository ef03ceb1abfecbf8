// Standalone latency of each architecture, measured first on the device with
// nothing else running: the SLO is 4x the median execution time (the paper's
// rule), and the execution and load times feed the queueing model.
import { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { ModelStore } from '../infer/store.js';
import { quantile } from '../sched/driver.js';
import { architectureCount, architectureLabel, modelInstances, type TestbedSpec } from './testbed.js';

export const SLO_FACTOR = 4;
/** Untimed runs of each architecture before the timed ones. */
export const WARM_RUNS = 5;

export interface ArchitectureTiming {
  architecture: number;
  /** 'MLP 64-256-10' or the model file's name. */
  label: string;
  bytes: number;
  /** Median standalone execution (request to result on the host). */
  execMs: number;
  execP90Ms: number;
  /** Median cold load (weights uploaded from the host copy, kernels already compiled). */
  loadMs: number;
  /**
   * A pipelined cold start, median and p90: the load issued and the run
   * started at once (layer k runs while layer k+1 uploads), until the
   * result is on the host; what a request for an evicted model costs.
   */
  coldMs?: number;
  coldP90Ms?: number;
  sloMs: number;
}

function median(xs: number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

export async function calibrate(dev: GpuDevice, spec: TestbedSpec, runs = 30): Promise<ArchitectureTiming[]> {
  const arena = new Arena(dev, { bytes: spec.arenaPages * spec.pageBytes, pageBytes: spec.pageBytes });
  // As the systems' stores: decoded weights kept on the host, so the load measured is the reload a cold start pays.
  const store = new ModelStore(arena, { hostWeights: 'keep' });
  const out: ArchitectureTiming[] = [];
  try {
    const firsts = modelInstances({ ...spec, models: architectureCount(spec) });
    // Every architecture loaded and warmed first, then timed in turns: a host
    // that is slower for the first seconds after start-up (compilation, caches,
    // the CPU's clock) weighs on each alike instead of on the first one's SLO.
    for (const m of firsts) {
      store.registerBytes(m.name, m.onnx);
      await store.load(m.name);
    }
    for (let i = 0; i < WARM_RUNS; i++) for (const m of firsts) await store.run(m.name, m.input);
    const exec = firsts.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      for (const [k, m] of firsts.entries()) {
        const t0 = performance.now();
        await store.run(m.name, m.input);
        exec[k]!.push(performance.now() - t0);
      }
    }
    for (const [k, m] of firsts.entries()) {
      const load: number[] = [];
      for (let i = 0; i < 5; i++) {
        await store.unload(m.name);
        const t0 = performance.now();
        await store.load(m.name);
        load.push(performance.now() - t0);
      }
      const cold: number[] = [];
      for (let i = 0; i < 7; i++) {
        await store.unload(m.name);
        const t0 = performance.now();
        const loading = store.load(m.name, { pipelined: true });
        await store.run(m.name, m.input);
        await loading;
        cold.push(performance.now() - t0);
      }
      await store.unload(m.name);
      const execMs = median(exec[k]!);
      out.push({
        architecture: m.architecture,
        label: architectureLabel(spec, m.architecture),
        bytes: store.get(m.name)!.bytes,
        execMs,
        execP90Ms: quantile([...exec[k]!].sort((a, b) => a - b), 0.9),
        loadMs: median(load),
        coldMs: median(cold),
        coldP90Ms: quantile([...cold].sort((a, b) => a - b), 0.9),
        sloMs: SLO_FACTOR * execMs,
      });
    }
  } finally {
    await store.dispose().catch(() => undefined); // its host weights (pinned on CUDA) go now, not at a garbage collection
    arena.destroy();
  }
  return out;
}
