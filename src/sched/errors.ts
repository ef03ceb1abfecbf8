// Typed errors of the colocation scheduler.
import { HandoverError } from '../core/errors.js';

/** Inference needs memory that neither the reserve, training nor swapping can give. */
export class InferenceMemoryError extends HandoverError {
  override name = 'InferenceMemoryError';
  constructor(
    readonly model: string,
    readonly needBytes: number,
    readonly reserveBytes: number,
    readonly warmBytes: number,
    readonly pinnedBytes: number,
  ) {
    super(
      `model '${model}' needs ${needBytes} bytes: reserve holds ${reserveBytes}, training is at its minimum, ` +
        `and even with every warm model swapped out (${warmBytes} bytes, ${pinnedBytes} of them in use) it cannot fit`,
    );
  }
}

/** The scheduler was asked about a model it does not know. */
export class UnknownSchedModelError extends HandoverError {
  override name = 'UnknownSchedModelError';
  constructor(readonly model: string) {
    super(`the scheduler has no model '${model}'`);
  }
}

/** A scheduler, chain or trace parameter is out of its domain. */
export class SchedParameterError extends HandoverError {
  override name = 'SchedParameterError';
  constructor(readonly parameter: string, readonly value: unknown, readonly expected: string) {
    super(`${parameter} = ${String(value)}: expected ${expected}`);
  }
}

/** A trace file is missing or malformed. */
export class TraceFileError extends HandoverError {
  override name = 'TraceFileError';
  constructor(readonly path: string, readonly detail: string) {
    super(`trace file ${path}: ${detail}`);
  }
}

/** Internal to the core: the memory a request needs is held by running requests; retry after one completes. */
export class WaitForUnpin extends Error {
  constructor(readonly unpinned: Promise<void>) {
    super('waiting for a running request to complete');
  }
}
