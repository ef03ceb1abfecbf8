// Typed errors of the colocation system's build and start.
import { HandoverError } from '../core/errors.js';

/** Something the spec asks for does not fit in the arena. */
export class SystemSizeError extends HandoverError {
  override name = 'SystemSizeError';
  constructor(
    readonly what: string,
    readonly neededBytes: number,
    readonly arenaBytes: number,
  ) {
    super(`${what} needs ${neededBytes} bytes but the arena has ${arenaBytes}; raise --arena-mib or use smaller models`);
  }
}

/** The spec contradicts itself (a static partition without a KV cap, an inference side missing, ...). */
export class SystemSpecError extends HandoverError {
  override name = 'SystemSpecError';
  constructor(readonly field: string, readonly problem: string) {
    super(`system spec: ${field} ${problem}`);
  }
}

/** Training did not finish its first step in time, or failed. */
export class TrainingStartError extends HandoverError {
  override name = 'TrainingStartError';
  constructor(readonly reason: string) {
    super(reason);
  }
}
