// Typed errors of the model store.
import { HandoverError } from '../core/errors.js';

export class UnknownModelError extends HandoverError {
  override name = 'UnknownModelError';
  constructor(readonly model: string, known: string[]) {
    super(`no model named '${model}' is registered${known.length ? ` (registered: ${known.join(', ')})` : ''}`);
  }
}

export class DuplicateModelError extends HandoverError {
  override name = 'DuplicateModelError';
  constructor(readonly model: string) {
    super(`a model named '${model}' is already registered; unload and choose another name`);
  }
}

/** A run for a cold model in a store whose loads are the scheduler's decision (coldRun: 'error'). */
export class ColdModelError extends HandoverError {
  override name = 'ColdModelError';
  constructor(readonly model: string) {
    super(`model '${model}' is cold and this store loads only when the scheduler decides; admit the request through the colocation system first`);
  }
}
