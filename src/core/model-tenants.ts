// Which inference model a page last belonged to, when the arena isolates
// models (ArenaOptions.isolateModels): pages passed between models are then
// zero-filled too. A model is named by its allocation label up to the first
// ':' ('resnet:weights', 'resnet:activations').

import type { Owner } from './errors.js';

export class ModelTenants {
  private readonly ids = new Map<string, number>();

  constructor(readonly isolate: boolean) {}

  /** The model an inference allocation belongs to, when models are isolated (-1 otherwise). */
  of(owner: Owner, label: string): number {
    if (!this.isolate || owner !== 'infer') return -1;
    const model = label.split(':')[0]!;
    let id = this.ids.get(model);
    if (id === undefined) this.ids.set(model, (id = this.ids.size));
    return id;
  }
}
