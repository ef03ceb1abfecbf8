// The model store: models registered by name (many instances of one file are
// fine), loaded into infer-owned arena pages on demand (the cold start,
// timed), run with typed input checks, unloaded to hand the pages back.
import type { Arena } from '../core/arena.js';
import { Turns } from '../core/turns.js';
import type { GpuDevice, Lane, Range } from '../core/device.js';
import { ModelError } from '../onnx/errors.js';
import type { OnnxGraph } from '../onnx/graph.js';
import { parseModel } from '../onnx/loader.js';
import type { TensorType, TensorData } from './convert.js';
import type { DeviceInputs } from './device-inputs.js';
import { ColdModelError, DuplicateModelError, UnknownModelError } from './errors.js';
import { Executor, type GraphStats, type RunPhases, type StepHook } from './executor.js';
import { planGraph, type Plan } from './plan.js';
import { checkInputs } from './validate.js';
import { checkConstantIndices, checkIndices, checkModelFits, checkRequestFits } from './request-checks.js';
import { readModelFile } from './model-file.js';
import { WeightPool } from './weights.js';

export type { TensorType, TensorData } from './convert.js';
export type { DeviceInputs } from './device-inputs.js';
export { InputError, ModelError } from '../onnx/errors.js';
export { ColdModelError, DuplicateModelError, UnknownModelError } from './errors.js';

export interface IoSpec {
  name: string;
  type: TensorType;
  /** number = fixed; string = symbolic (batch). */
  dims: (number | string)[];
}

export interface ModelInfo {
  name: string;
  file: string;
  bytes: number;
  state: 'cold' | 'loading' | 'warm';
  lastUsed: number;
  loadMs: number;
  inputs: IoSpec[];
  outputs: IoSpec[];
}

interface Instance {
  info: ModelInfo;
  graph: OnnxGraph;
  probe: Plan;
  pool: WeightPool;
  executors: Map<string, Executor>;
  /** The executor of the last run (its host phases). */
  last?: Executor;
  loading: Promise<void> | null;
  /** Why the last load failed, until the next load or unload: a run that finds the model cold reports it. */
  loadError?: unknown;
  compiling: Promise<void> | null;
  /** This model's runs and unloads, one at a time (its executors hold one workspace each). */
  chain: Promise<unknown>;
}

/**
 * Plans kept per instance (one per distinct input shape), the least recently
 * used dropped first. A padded-batching decoder (src/llm/padded.ts) cycles
 * through a few dozen bucketed shapes; rebuilding a plan costs host time and
 * its graph recording.
 */
const MAX_PLANS = 64;

export class ModelStore {
  private readonly models = new Map<string, Instance>();
  /** Runs of different models in flight at once (opts.concurrentRuns), the rest waiting their turn. */
  private readonly turns: Turns;

  constructor(
    readonly arena: Arena,
    /**
     * `poison`: fill each run's workspace with NaN first (tests catch unwritten outputs).
     * `graphs`: record and replay each plan's launches where the device can (default true).
     * `coldRun`: what run() does with a cold model: 'load' it (pipelined with the run; the
     * default, for a store used alone), or throw ColdModelError ('error': the colocation
     * system, where loading is the scheduler's decision).
     * `concurrentRuns`: runs of different models in flight at once (default 1: one at a
     * time); each takes its own workspace, and one model's runs stay in order. More keeps
     * the GPU busy while a run's inputs go up and its outputs come back.
     * `hostWeights`: 'keep' holds each file's decoded weights on the host after the first
     * load (GpuDevice.hostBuffer: pinned memory on CUDA, laid out as the weight pool),
     * shared by the instances registered from the same bytes (registerBytes) and freed with
     * the last (unregister, dispose), so a cold start is one upload per layer group;
     * 'drop' (default) decodes at every load.
     */
    private readonly opts: { poison?: boolean; graphs?: boolean; coldRun?: 'load' | 'error'; concurrentRuns?: number; hostWeights?: 'keep' | 'drop' } = {},
  ) {
    this.turns = new Turns(opts.concurrentRuns ?? 1);
  }

  /** Parses and validates the file (every node planned at batch 1); no GPU memory is taken. */
  register(name: string, file: string): ModelInfo {
    if (this.models.has(name)) throw new DuplicateModelError(name);
    const bytes = readModelFile(file);
    return this.registerBytes(name, bytes, file);
  }

  /** register() for a model already in memory (the conformance harness builds them with the writer). */
  registerBytes(name: string, bytes: Uint8Array, file = `<memory:${name}>`): ModelInfo {
    if (this.models.has(name)) throw new DuplicateModelError(name);
    const graph = parseModel(bytes, file);
    const dims = new Map(graph.inputs.map((io) => [io.name, io.dims.map((d) => (typeof d === 'number' ? d : 1))]));
    const probe = planGraph(graph, dims);
    const pool = new WeightPool(probe, graph.initializers);
    checkModelFits(this.arena, file, pool.bytes, probe);
    checkConstantIndices(probe);
    if (this.opts.hostWeights === 'keep') pool.keepHostWeights(this.arena.device, bytes);
    const spec = (io: { name: string; type: TensorType; dims: (number | string)[] }): IoSpec => ({ name: io.name, type: io.type, dims: [...io.dims] });
    const info: ModelInfo = {
      name, file, bytes: pool.bytes, state: 'cold', lastUsed: 0, loadMs: 0,
      inputs: graph.inputs.map(spec), outputs: graph.outputs.map(spec),
    };
    this.models.set(name, { info, graph, probe, pool, executors: new Map(), loading: null, compiling: null, chain: Promise.resolve() });
    return { ...info };
  }

  /**
   * Uploads the weights into infer pages. With `pipelined`, the host yields
   * between layer groups that it decodes, so a run issued meanwhile executes
   * layer k while layer k+1 is decoded and written. Host weights (hostWeights
   * 'keep') need no yield: every group goes up as one DMA at once and a run
   * issued meanwhile waits for each group on the GPU, not the host.
   */
  async load(name: string, opts: { pipelined?: boolean } = {}): Promise<ModelInfo> {
    const m = this.instance(name);
    if (m.info.state === 'warm') return { ...m.info };
    if (!m.loading) m.loading = this.upload(m, opts.pipelined ?? false).finally(() => (m.loading = null));
    await m.loading;
    return { ...m.info };
  }

  private async upload(m: Instance, pipelined: boolean): Promise<void> {
    const dev = this.arena.device;
    const t0 = dev.now();
    m.info.state = 'loading';
    m.loadError = undefined;
    try {
      m.pool.allocate(this.arena, m.info.name, this.recordsGraphs);
      m.compiling = dev.prepare([...m.probe.kernels]);
      await m.compiling;
      const upload = onLane(dev, 'infer');
      try {
        for (let k = 0; k < m.pool.groups.length; k++) {
          const decoded = m.pool.uploadGroup(upload, k);
          if (pipelined && decoded) await new Promise<void>((r) => setTimeout(r, 0)); // yield: a run may start layer k
        }
      } finally {
        m.pool.endUploads(); // the infer lane waits for every upload: its fence below (or the arena's) covers them
      }
      await dev.fenceLane('infer'); // the weights went up on the infer lane: training's kernels in flight are not waited for
    } catch (e) {
      m.pool.fail(e);
      m.pool.release(this.arena);
      m.info.state = 'cold';
      m.loadError = e;
      throw e;
    }
    m.info.loadMs = dev.now() - t0;
    m.info.state = 'warm';
  }

  /**
   * Forgets a model: unloaded first if resident; its share of the host
   * weights is let go (the file's last instance frees them).
   */
  async unregister(name: string): Promise<void> {
    const m = this.instance(name);
    await this.unload(name);
    this.models.delete(name);
    for (const e of m.executors.values()) e.dispose();
    m.pool.dropHostWeights();
  }

  /** Unregisters every model (a system's teardown): host weights of this store's files are freed. */
  async dispose(): Promise<void> {
    for (const name of [...this.models.keys()]) await this.unregister(name);
  }

  /** Runs are recorded and replayed (executor.ts): a reloaded pool is worth putting back where it was. */
  private get recordsGraphs(): boolean {
    return (this.opts.graphs ?? true) && this.arena.device.info.capabilities.graphs === true;
  }

  /** Frees the model's weight pages (after the GPU is done with them); it becomes cold. */
  async unload(name: string): Promise<void> {
    const m = this.instance(name);
    if (m.loading) await m.loading.catch(() => undefined);
    await this.serial(m, async () => {
      m.loadError = undefined;
      if (m.info.state === 'cold') return;
      m.pool.release(this.arena);
      m.info.state = 'cold';
      this.arena.reclaim(await this.arena.fence());
    });
  }

  /** Runs one inference; a cold model is loaded first (pipelined with this run). */
  /**
   * `hook`: called around each step (profiles); `requests`: how many requests the run carries (the server's count;
   * unused here); `device`: inputs written on the GPU instead of given as host data (src/infer/device-inputs.ts).
   */
  async run(name: string, inputs: Record<string, TensorData>, opts: { hook?: StepHook; requests?: number; device?: DeviceInputs } = {}): Promise<Record<string, TensorData>> {
    const hook = opts.hook;
    const m = this.instance(name);
    const dims = checkInputs(m.graph.inputs, inputs, opts.device?.dims);
    const exec = this.executor(m, dims);
    checkIndices(exec.plan, inputs);
    return this.serial(m, async () => {
      if (m.info.state === 'cold' && !m.loading) {
        // A pipelined cold start admits the run before its load ends: a load that failed meanwhile is the run's error.
        if (this.opts.coldRun === 'error') throw m.loadError ?? new ColdModelError(name);
        void this.load(name, { pipelined: true }).catch(() => undefined);
      }
      const loading = m.loading;
      // Kernels compile before the first launch (a launch must not race the ahead-of-time compile).
      if (m.compiling) await m.compiling;
      const out = await exec.run(inputs, loading ? (k) => m.pool.ready(k) : undefined, hook, opts.device);
      if (loading) await loading;
      m.info.lastUsed = Date.now();
      m.last = exec;
      return out;
    });
  }

  /**
   * Bytes of workspace one run takes with `rows` in every input's first
   * dimension where the model leaves it free (other free dimensions at 1):
   * what a caller keeps aside for runs (serve --train keeps it from training).
   */
  workspaceBytes(name: string, rows = 1): number {
    const m = this.instance(name);
    const dims = new Map(m.graph.inputs.map((io) => [io.name, io.dims.map((d, i) => (typeof d === 'number' ? d : i === 0 ? rows : 1))]));
    return planGraph(m.graph, dims, m.pool.names).workspaceBytes;
  }

  /** Weights decoded on the host by this model's loads so far (0 after the first when the store keeps host weights). */
  decodes(name: string): number {
    return this.instance(name).pool.decodes;
  }

  /** Host time of the phases of the model's last run (undefined before its first). */
  lastPhases(name: string): RunPhases | undefined {
    const p = this.instance(name).last?.phases;
    return p && { ...p };
  }

  /** How a model's runs were issued (eager, recorded, replayed), summed over its plans. */
  graphStats(name: string): GraphStats {
    const sum: GraphStats = { eager: 0, captures: 0, replays: 0, poolMoved: 0, workspaceMoved: 0 };
    for (const e of this.instance(name).executors.values()) {
      sum.eager += e.graphStats.eager;
      sum.captures += e.graphStats.captures;
      sum.replays += e.graphStats.replays;
      sum.poolMoved! += e.graphStats.poolMoved ?? 0;
      sum.workspaceMoved! += e.graphStats.workspaceMoved ?? 0;
      sum.failure ??= e.graphStats.failure;
    }
    return sum;
  }

  get(name: string): ModelInfo | undefined {
    const m = this.models.get(name);
    return m ? { ...m.info } : undefined;
  }

  list(): ModelInfo[] {
    return [...this.models.values()].map((m) => ({ ...m.info }));
  }

  private instance(name: string): Instance {
    const m = this.models.get(name);
    if (!m) throw new UnknownModelError(name, [...this.models.keys()]);
    return m;
  }

  private executor(m: Instance, dims: Map<string, number[]>): Executor {
    const key = [...dims].map(([k, d]) => `${k}:${d.join('x')}`).join(',');
    let e = m.executors.get(key);
    if (e) {
      m.executors.delete(key); // most recently used last
      m.executors.set(key, e);
    } else {
      const plan = planGraph(m.graph, dims, m.pool.names);
      checkRequestFits(this.arena, plan);
      e = new Executor(this.arena, plan, m.pool, m.info.name, this.opts);
      if (m.executors.size >= MAX_PLANS) {
        const oldest = m.executors.keys().next().value!;
        m.executors.get(oldest)!.dispose();
        m.executors.delete(oldest);
      }
      m.executors.set(key, e);
    }
    return e;
  }

  /** One model's runs and unloads in order; at most `concurrentRuns` models' at once (this bounds workspace memory). */
  private serial<T>(m: Instance, job: () => Promise<T>): Promise<T> {
    const p = m.chain.then(() => this.turns.run(job));
    m.chain = p.catch(() => undefined);
    return p;
  }
}

/** The device with write() on one lane, for code that takes a device and only writes (WeightPool.uploadGroup). */
function onLane(dev: GpuDevice, lane: Lane): GpuDevice {
  return Object.create(dev, { write: { value: (r: Range, d: ArrayBufferView) => dev.write(r, d, lane) } }) as GpuDevice;
}
