// Runs a plan: the workspace is one infer-owned arena allocation taken for
// the run and handed back after it (fence + reclaim, in the background once the
// outputs are read: src/infer/workspace-drain.ts). Launches are built once
// per plan; their bindings resolve the workspace and weight pool at launch
// time, so compaction may move either between runs. Everything a run issues is
// on the 'infer' lane (ahead of training on backends with several queues).
//
// Graphs: where the device records launches (capabilities.graphs), a run's
// launches are recorded once and replayed as one call. A recording has the
// addresses of the workspace and the weight pool baked in, so it is replayed
// only while both are where they were when it was recorded; otherwise (the
// arena placed the workspace elsewhere, compaction moved the pool, a reload)
// the launches are recorded again. The last MAX_RECORDINGS recordings are
// kept by their addresses: beside training the per-run workspace moves
// between a few places (round 6 on the H200: 27-63% of the small models'
// warm runs recorded anew), and a place seen before replays its recording.
// The first run is eager (it warms kernels and cuBLAS), and so is a run that
// waits for a pipelined weight load.
import type { Allocation } from '../core/allocation.js';
import type { Arena } from '../core/arena.js';
import type { Bindable, Launch, Range, Recording } from '../core/device.js';
import { fill } from '../kernels/elementwise.js';
import { deviceBytes, type Location, type Plan, type PlanValue, type Step } from './plan.js';
import type { Tensor } from './ops/index.js';
import type { WeightPool } from './weights.js';
import type { DeviceInputs } from './device-inputs.js';
import { fromDeviceBytes, fromHost, inputWords, toDeviceWords, type TensorData } from './convert.js';
import { allocateAfterDrains, allocateNow, reclaimInferenceLater } from './workspace-drain.js';

/** How runs were issued: eager launches, recordings made, replays (every graph run is a replay). */
export interface GraphStats {
  eager: number;
  captures: number;
  replays: number;
  /**
   * Why recordings after the first were made: the weight pool was elsewhere than at the last replay (a reload or
   * a compaction moved it), or only the workspace was (the arena placed it elsewhere). Round 8 counts them.
   */
  poolMoved?: number;
  workspaceMoved?: number;
  /** The last recording failure (graphs stay off for this executor after one). */
  failure?: string;
}

/** Host time of the last run's phases (ms): writes of constants and inputs, issuing the launches, the readback (its wait included), starting the closing fence (it runs after the answer). */
export interface RunPhases {
  write: number;
  issue: number;
  read: number;
  fence: number;
}

export interface ExecutorOptions {
  /** Fill the workspace with a NaN payload first, so an unwritten output element shows (tests). */
  poison?: boolean;
  /** Record and replay launches where the device can (default true). */
  graphs?: boolean;
}

/**
 * Called for each step of a run instead of launching it: `issue` launches the
 * step's kernels (profiles time each step; see src/infer/profile.ts). A run
 * with a hook is always eager.
 */
export type StepHook = (index: number, step: Step, issue: () => void) => Promise<void> | void;

export class Executor {
  private ws: Allocation<'infer'> | null = null;
  readonly graphStats: GraphStats = { eager: 0, captures: 0, replays: 0, poolMoved: 0, workspaceMoved: 0 };
  /** Where the last run's workspace began (arena page), with graphs on: the next run's goes there if it is free. */
  private lastWorkspacePage: number | null = null;
  /** The addresses of the last replay (addressKey), to say why a recording is made. */
  private lastKey: { workspace: string; pool: string } | null = null;
  /** Where the last run's host time went (bench infer-webgpu reports it). */
  readonly phases: RunPhases = { write: 0, issue: 0, read: 0, fence: 0 };
  /** The fence handing the last run's workspace back, in flight after that run answered (resolves, never rejects). */
  private reclaiming: Promise<void> | null = null;
  /** Recordings by the addresses they bake in, least recently replayed first. */
  private readonly recordings = new Map<string, Recording>();
  private readonly graphs: boolean;
  private readonly poison: boolean;
  /** The plan's host constants as device words, converted once. */
  private constantWords: (Float32Array | Int32Array | Uint32Array)[] | null = null;
  private readonly launches: Launch[][];
  /** Per step: the last weight-pool upload group it reads (-1: none). */
  readonly needsGroup: number[];

  constructor(
    private readonly arena: Arena,
    readonly plan: Plan,
    private readonly pool: WeightPool,
    private readonly label: string,
    opts: ExecutorOptions = {},
  ) {
    this.poison = opts.poison ?? false;
    this.graphs = (opts.graphs ?? true) && arena.device.info.capabilities.graphs === true;
    this.needsGroup = plan.steps.map((s) =>
      Math.max(-1, ...s.ins.map((name) => {
        const loc = name ? plan.values.get(name)?.loc : undefined;
        return loc?.kind === 'weight' ? pool.groupOf(loc.name) : -1;
      })),
    );
    this.launches = plan.steps.map((s) => {
      const hostIdx = new Set(s.def.hostInputs ?? []);
      const tensor = (name: string | undefined, host = false): Tensor | undefined => {
        if (!name) return undefined;
        const v = plan.values.get(name)!;
        const value = v.host ?? (host ? v.init?.value : undefined);
        return { type: v.type, dims: v.dims, value, buf: v.loc ? this.bind(v.loc, v) : NO_BUFFER };
      };
      const ins = s.ins.map((name, i) => tensor(name, hostIdx.has(i)));
      const outs = s.outs.map((o) => tensor(o)!);
      return s.def.emit(s.node, ins, outs, plan.opset).map((l) => ({ ...l, lane: 'infer' as const }));
    });
  }

  private bind(loc: Location, v: PlanValue): Bindable {
    if (loc.kind === 'weight') return this.pool.binding(loc.name);
    const slot = this.plan.slots[loc.slot]!;
    const bytes = deviceBytes(v.dims);
    return {
      range: () => {
        const r = this.ws!.range();
        return { backing: r.backing, offset: r.offset + slot.offset, bytes };
      },
    };
  }

  /**
   * One inference. `weightsReady` lets a pipelined load hold a step until the weights it reads are written;
   * `device`: inputs written on the GPU (their fill runs after the host inputs' writes).
   */
  async run(inputs: Record<string, TensorData>, weightsReady?: (group: number) => Promise<void> | null, hook?: StepHook, device?: DeviceInputs): Promise<Record<string, TensorData>> {
    const dev = this.arena.device;
    let t = performance.now();
    const lap = (phase: keyof RunPhases) => {
      const now = performance.now();
      this.phases[phase] = now - t;
      t = now;
    };
    // This executor's last workspace first, so a recording that baked its place in is replayed.
    if (this.reclaiming) await this.reclaiming;
    const label = `${this.label}:activations`;
    this.ws = this.workspaceWhereRecorded(label) ?? allocateNow(this.arena, 'infer', this.plan.workspaceBytes, label) ?? (await allocateAfterDrains(this.arena, 'infer', this.plan.workspaceBytes, label));
    if (this.graphs) this.lastWorkspacePage = this.ws.firstPage;
    try {
      if (this.poison) dev.launch({ ...fill(this.ws, this.plan.workspaceBytes / 4, POISON), lane: 'infer' });
      const base = () => this.ws!.range();
      const write = (slot: number, words: ArrayBufferView) => {
        const r = base();
        dev.write({ backing: r.backing, offset: r.offset + this.plan.slots[slot]!.offset, bytes: words.byteLength }, words, 'infer');
      };
      this.constantWords ??= this.plan.constants.map((c) => toDeviceWords(c.tensor, c.name));
      this.plan.constants.forEach((c, i) => write(c.slot, this.constantWords![i]!));
      const onDevice: Record<string, Range> = {};
      for (const i of this.plan.inputs) {
        if (device?.dims[i.name]) {
          const r = base();
          onDevice[i.name] = { backing: r.backing, offset: r.offset + this.plan.slots[i.slot]!.offset, bytes: deviceBytes(this.plan.values.get(i.name)!.dims) };
        } else write(i.slot, inputWords(i.name, inputs[i.name]!));
      }
      if (device) device.fill(onDevice);
      lap('write');
      // weightsReady is given only while a pipelined load is writing the weights: launch eagerly, step by step.
      if (weightsReady || hook || !this.replayed()) {
        for (let k = 0; k < this.launches.length; k++) {
          const wait = weightsReady && this.needsGroup[k]! >= 0 ? weightsReady(this.needsGroup[k]!) : null;
          if (wait) await wait;
          const issue = () => {
            for (const l of this.launches[k]!) dev.launch(l);
          };
          if (hook) await hook(k, this.plan.steps[k]!, issue);
          else issue();
        }
        this.graphStats.eager++;
      }
      lap('issue');
      const out: Record<string, TensorData> = {};
      for (const name of this.plan.outputs) {
        const v = this.plan.values.get(name)!;
        if (!v.loc) {
          out[name] = fromHost(v.host ?? v.init!.value);
          continue;
        }
        const r = this.bind(v.loc, v).range();
        out[name] = fromDeviceBytes(v.type, v.dims, await dev.read(r, 'infer'));
      }
      lap('read');
      return out;
    } finally {
      this.arena.free(this.ws);
      this.ws = null;
      if (dev.info.capabilities.lanes) {
        // An inference stream of its own (CUDA): its fence is cheap, and pages left pending would be memory the core takes from training instead.
        this.arena.reclaim(await this.arena.fenceInference());
      } else {
        // One queue (WebGPU): not awaited, since the reads proved this run's kernels done and the fence would also wait for whatever was issued after them.
        const reclaiming = reclaimInferenceLater(this.arena);
        this.reclaiming = reclaiming;
        void reclaiming.then(() => {
          if (this.reclaiming === reclaiming) this.reclaiming = null;
        });
      }
      lap('fence');
    }
  }

  /**
   * The workspace at the last run's place, where that is free: its recording
   * bakes the address in, and the lowest free run (the arena's choice) moves
   * as models load and unload beside training. Round 8 on the H200: 600 of
   * handover's 832 BURST recordings were made because only the workspace had
   * moved, about 1 ms of host time each on the request's path.
   */
  private workspaceWhereRecorded(label: string): Allocation<'infer'> | null {
    const at = this.lastWorkspacePage;
    if (at === null || !this.arena.fitsAt(at, this.plan.workspaceBytes)) return null;
    return this.arena.allocate('infer', this.plan.workspaceBytes, label, { at });
  }

  /**
   * Issues the run's launches as a replay when it can: the recording of the
   * current addresses, made now if there is none. False: launch eagerly
   * (graphs off, the first run, or recording failed).
   */
  private replayed(): boolean {
    if (!this.graphs || this.graphStats.failure !== undefined) return false;
    if (this.graphStats.eager + this.graphStats.replays === 0) return false; // warm-up run
    const dev = this.arena.device;
    const key = this.addressKey();
    let rec = this.recordings.get(key);
    if (rec) this.recordings.delete(key); // most recently replayed last
    else {
      try {
        rec = dev.record('infer', () => {
          for (const step of this.launches) for (const l of step) dev.launch(l);
        });
        this.graphStats.captures++;
        this.countMove(key);
      } catch (e) {
        this.graphStats.failure = e instanceof Error ? e.message : String(e);
        return false;
      }
      if (this.recordings.size >= MAX_RECORDINGS) {
        const [oldest, old] = this.recordings.entries().next().value!;
        this.recordings.delete(oldest);
        dev.releaseRecording(old);
      }
    }
    this.recordings.set(key, rec);
    this.lastKey = this.keyParts(key);
    dev.replay(rec);
    this.graphStats.replays++;
    return true;
  }

  /** Where the recorded launches point: the workspace and the weight pool. */
  private addressKey(): string {
    const at = (r: Range) => `${r.backing.id}@${r.offset}`;
    return `${at(this.ws!.range())} ${this.pool.alloc ? at(this.pool.alloc.range()) : '-'}`;
  }

  private keyParts(key: string): { workspace: string; pool: string } {
    const [workspace = '', pool = ''] = key.split(' ');
    return { workspace, pool };
  }

  /** A recording at new addresses: counts whether the pool moved or only the workspace did. */
  private countMove(key: string): void {
    if (!this.lastKey) return;
    const now = this.keyParts(key);
    if (now.pool !== this.lastKey.pool) this.graphStats.poolMoved = (this.graphStats.poolMoved ?? 0) + 1;
    else if (now.workspace !== this.lastKey.workspace) this.graphStats.workspaceMoved = (this.graphStats.workspaceMoved ?? 0) + 1;
  }

  /** Releases the recordings (the executor is dropped). */
  dispose(): void {
    for (const rec of this.recordings.values()) this.arena.device.releaseRecording(rec);
    this.recordings.clear();
  }
}

/** Recordings kept per executor (each a CUDA graph exec: host and driver memory, no arena pages). */
export const MAX_RECORDINGS = 4;

/** A NaN with a payload. */
export const POISON = 0x7fc0dead;

const NO_BUFFER: Bindable = {
  range: () => {
    throw new Error('value has no GPU location');
  },
};
