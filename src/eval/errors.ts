// Typed errors of the evaluation run (`handover run`).
import { HandoverError } from '../core/errors.js';

/** A system of the run could not be set up or did not finish. */
export class SystemRunError extends HandoverError {
  override name = 'SystemRunError';
  constructor(
    readonly system: string,
    readonly stage: 'setup' | 'warm-up' | 'training' | 'drive',
    readonly reason: string,
  ) {
    super(`system '${system}' failed during ${stage}: ${reason}`);
  }
}
