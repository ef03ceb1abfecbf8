// Runs a plan: the workspace is one infer-owned arena allocation taken for
// the run and handed back after it (fence + reclaim). Launches are built once
// per plan; their bindings resolve the workspace and weight pool at launch
// time, so compaction may move either between runs.
import type { Allocation } from '../core/allocation.js';
import type { Arena } from '../core/arena.js';
import type { Bindable, Launch } from '../core/device.js';
import { fill } from '../kernels/elementwise.js';
import { deviceBytes, type Location, type Plan, type PlanValue } from './plan.js';
import type { Tensor } from './ops/index.js';
import type { WeightPool } from './weights.js';
import { fromDeviceBytes, fromHost, inputWords, toDeviceWords, type TensorData } from './convert.js';

export class Executor {
  private ws: Allocation<'infer'> | null = null;
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
    /** Fill the workspace with a NaN payload first, so an unwritten output element shows (tests). */
    private readonly poison = false,
  ) {
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
      return s.def.emit(s.node, ins, outs, plan.opset);
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

  /** One inference. `weightsReady` lets a pipelined load hold a step until the weights it reads are written. */
  async run(inputs: Record<string, TensorData>, weightsReady?: (group: number) => Promise<void> | null): Promise<Record<string, TensorData>> {
    const dev = this.arena.device;
    this.ws = this.arena.allocate('infer', this.plan.workspaceBytes, `${this.label}:activations`);
    try {
      if (this.poison) dev.launch(fill(this.ws, this.plan.workspaceBytes / 4, POISON));
      const base = () => this.ws!.range();
      const write = (slot: number, words: ArrayBufferView) => {
        const r = base();
        dev.write({ backing: r.backing, offset: r.offset + this.plan.slots[slot]!.offset, bytes: words.byteLength }, words);
      };
      this.constantWords ??= this.plan.constants.map((c) => toDeviceWords(c.tensor, c.name));
      this.plan.constants.forEach((c, i) => write(c.slot, this.constantWords![i]!));
      for (const i of this.plan.inputs) write(i.slot, inputWords(i.name, inputs[i.name]!));
      for (let k = 0; k < this.launches.length; k++) {
        const wait = weightsReady && this.needsGroup[k]! >= 0 ? weightsReady(this.needsGroup[k]!) : null;
        if (wait) await wait;
        for (const l of this.launches[k]!) dev.launch(l);
      }
      const out: Record<string, TensorData> = {};
      for (const name of this.plan.outputs) {
        const v = this.plan.values.get(name)!;
        if (!v.loc) {
          out[name] = fromHost(v.host ?? v.init!.value);
          continue;
        }
        const r = this.bind(v.loc, v).range();
        out[name] = fromDeviceBytes(v.type, v.dims, await dev.read(r));
      }
      return out;
    } finally {
      this.arena.free(this.ws);
      this.ws = null;
      this.arena.reclaim(await this.arena.fence());
    }
  }
}

/** A NaN with a payload. */
export const POISON = 0x7fc0dead;

const NO_BUFFER: Bindable = {
  range: () => {
    throw new Error('value has no GPU location');
  },
};
