// The KServe v2 / Triton model repository extension:
//   POST /v2/repository/index                  every model the server knows, with its state
//   POST /v2/repository/models/{name}/load     (re)load: weights into inference memory, through the store
//   POST /v2/repository/models/{name}/unload   the model answers 400 until loaded again
// Loads go through the ServableStore, so with training on the GPU the
// colocation core finds the memory (reserve first, then training).
import type { FastifyInstance } from 'fastify';
import type { ServableStore } from './engine.js';
import { BadRequestError, ModelNotFoundError } from './errors.js';
import type { InferService } from './infer-service.js';
import { isModelName, scanRepository, type RepositoryEntry } from './repository.js';

export interface RepositorySource {
  /** The repository folder, rescanned by index and by a load of a name not seen yet. */
  dir?: string;
  entries: RepositoryEntry[];
  /** Makes an entry known to the engine (register its file); called once per new entry. */
  register(entry: RepositoryEntry): void;
  /** Gives an unloaded model's memory back (default: none; the scheduler's idle expiry does). */
  release?(name: string): Promise<void>;
}

export class ModelRepository {
  private readonly entries = new Map<string, RepositoryEntry>();

  constructor(private readonly source: RepositorySource, private readonly store: ServableStore, private readonly service: InferService) {
    for (const e of source.entries) this.entries.set(e.name, e);
    for (const e of source.entries) if (e.policy) service.policies.set(e.name, e.policy);
  }

  index(): { name: string; version: string; state: 'READY' | 'UNAVAILABLE'; reason: string }[] {
    this.rescan();
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name)).map((e) => {
      const registered = this.store.get(e.name) !== undefined;
      const ready = registered && !this.service.unavailable.has(e.name);
      return { name: e.name, version: e.version, state: ready ? 'READY' : 'UNAVAILABLE', reason: ready ? '' : registered ? 'unloaded' : 'not loaded' };
    });
  }

  async load(name: string): Promise<void> {
    const e = this.entry(name, true);
    if (!this.store.get(name)) {
      this.source.register(e);
      if (e.policy) this.service.policies.set(name, e.policy);
    }
    this.service.reset(name);
    await this.store.load(name);
    this.service.unavailable.delete(name);
  }

  async unload(name: string): Promise<void> {
    this.entry(name, false);
    if (!this.store.get(name)) throw new BadRequestError(`model '${name}' is not loaded`);
    this.service.unavailable.add(name);
    this.service.reset(name);
    await this.source.release?.(name);
  }

  private entry(name: string, rescan: boolean): RepositoryEntry {
    if (!isModelName(name)) throw new BadRequestError(`'${name.slice(0, 40)}' is not a model name (letters, digits, '_', '.', '-')`);
    if (!this.entries.has(name) && rescan) this.rescan();
    const e = this.entries.get(name);
    if (!e) throw new ModelNotFoundError(name);
    return e;
  }

  private rescan(): void {
    if (!this.source.dir) return;
    for (const e of scanRepository(this.source.dir, this.service.defaultPolicy)) {
      if (!this.entries.has(e.name)) this.entries.set(e.name, e);
      else if (e.version !== this.entries.get(e.name)!.version && !this.store.get(e.name)) this.entries.set(e.name, e);
    }
  }
}

interface Params {
  name: string;
}

export function registerRepositoryRoutes(app: FastifyInstance, repo: ModelRepository): void {
  app.post('/v2/repository/index', async () => repo.index());
  app.post<{ Params: Params }>('/v2/repository/models/:name/load', async (req, reply) => {
    await repo.load(req.params.name);
    return reply.code(200).send({});
  });
  app.post<{ Params: Params }>('/v2/repository/models/:name/unload', async (req, reply) => {
    await repo.unload(req.params.name);
    return reply.code(200).send({});
  });
}
