// One colocated system: the elastic trainer, the model store and the
// colocation core wired together, in one of the evaluated configurations.
// The same kernels, arena and trainer serve every configuration; only the
// memory policy differs.
import type { Arena } from '../core/arena.js';
import { ColocationCore, type CoreConfig, type MemorySide, type ModelSide } from '../sched/core.js';
import type { ModelStore, TensorData } from '../infer/store.js';
import type { Trainer } from '../train/trainer.js';

export type SystemKind = 'handover' | 'sp50' | 'sp75' | 'taskswitch' | 'infer-only';
export const SYSTEM_KINDS: SystemKind[] = ['handover', 'sp50', 'sp75', 'taskswitch', 'infer-only'];

export interface SystemOptions {
  tIdleMs: number;
  watermarkBytes: number;
}

export interface RequestRecord {
  t: number;
  model: string;
  latencyMs: number;
  waitMs: number;
  coldStart: boolean;
  path: string;
  error?: string;
}

function memorySide(kind: SystemKind, arena: Arena, trainer: Trainer | null): MemorySide {
  if (kind === 'handover' || kind === 'taskswitch') {
    const t = trainer!;
    return {
      async require(bytes) {
        // TaskSwitch preempts training entirely on any need.
        const ask = kind === 'taskswitch' ? Math.max(bytes, arena.bytes) : bytes;
        const r = await t.require(ask);
        return { freedBytes: Math.max(0, Math.min(bytes, ask - r.shortBytes)) };
      },
      release(bytes) {
        t.release(kind === 'taskswitch' ? arena.bytes : bytes);
      },
      atMinimum: () => t.elasticBytes === 0 && arena.freeBytes === 0,
    };
  }
  return { require: async () => ({ freedBytes: 0 }), release: () => {}, atMinimum: () => true };
}

function coreConfig(kind: SystemKind, o: SystemOptions): CoreConfig {
  switch (kind) {
    case 'handover':
      return { tIdleMs: o.tIdleMs, watermarkBytes: o.watermarkBytes, requireFromTraining: true, pipelinedSwap: true };
    case 'taskswitch':
      // Every switch back to training unloads inference: idle models leave at once.
      return { tIdleMs: Math.min(o.tIdleMs, 500), watermarkBytes: 0, trimAboveBytes: 0, requireFromTraining: true, pipelinedSwap: false };
    default:
      return { tIdleMs: Infinity, watermarkBytes: 0, trimAboveBytes: Infinity, requireFromTraining: false, pipelinedSwap: true };
  }
}

/** The share of the arena a static partition gives inference. */
export function inferenceShare(kind: SystemKind): number {
  return kind === 'sp50' ? 0.5 : kind === 'sp75' ? 0.75 : kind === 'infer-only' ? 1 : 0;
}

export class Colocation {
  readonly core: ColocationCore;
  readonly requests: RequestRecord[] = [];

  constructor(
    readonly kind: SystemKind,
    readonly arena: Arena,
    readonly trainer: Trainer | null,
    readonly store: ModelStore,
    opts: SystemOptions,
  ) {
    const share = inferenceShare(kind);
    let reserve = 0;
    if (share > 0) {
      // Static partition: training may never hold inference's share.
      reserve = Math.floor((arena.bytes * share) / arena.pageBytes) * arena.pageBytes;
      arena.require(reserve);
    }
    const models: ModelSide = {
      bytes: (name) => store.get(name)?.bytes ?? NaN,
      load: async (name, o) => {
        await store.load(name, o);
      },
      unload: (name) => store.unload(name),
    };
    this.core = new ColocationCore(memorySide(kind, arena, trainer), models, coreConfig(kind, opts), undefined, { initialReserveBytes: reserve });
  }

  register(name: string): void {
    this.core.register(name);
  }

  /** Serves one request: admit (memory, cold start), run, complete. */
  async request(model: string, inputs: Record<string, TensorData>): Promise<{ outputs: Record<string, TensorData>; record: RequestRecord }> {
    const t0 = performance.now();
    const adm = await this.core.admit(model);
    try {
      const outputs = await this.store.run(model, inputs);
      const record: RequestRecord = { t: t0, model, latencyMs: performance.now() - t0, waitMs: adm.waitMs, coldStart: adm.coldStart, path: adm.path };
      this.requests.push(record);
      return { outputs, record };
    } finally {
      this.core.complete(model);
    }
  }
}
