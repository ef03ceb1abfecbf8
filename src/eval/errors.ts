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

/** The testbed's arena cannot hold what the run asks of it. */
export class TestbedSizeError extends HandoverError {
  override name = 'TestbedSizeError';
  constructor(
    readonly what: string,
    readonly neededBytes: number,
    readonly arenaBytes: number,
  ) {
    super(`${what} needs ${neededBytes} bytes but the arena has ${arenaBytes}; raise --arena-mib or use smaller models`);
  }
}
