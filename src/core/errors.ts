// Typed errors of the handover core. Every error is a class with fields a
// caller can act on; messages are for people, fields are for programs.

export type Owner = 'train' | 'infer';

export class HandoverError extends Error {
  override name = 'HandoverError';
}

/** An allocation could not be satisfied. */
export class OutOfMemoryError extends HandoverError {
  override name = 'OutOfMemoryError';
  constructor(
    readonly requested: number,
    readonly owner: Owner,
    readonly inUse: number,
    readonly free: number,
    readonly reason = 'not enough free pages',
  ) {
    super(
      `out of memory: ${owner} asked for ${requested} bytes (${reason}); ` +
        `${owner} holds ${inUse} bytes, ${free} bytes free`,
    );
  }
}

/** A tensor larger than one buffer or one binding can be. */
export class AllocationTooLargeError extends HandoverError {
  override name = 'AllocationTooLargeError';
  constructor(readonly requested: number, readonly limit: number, readonly what: string) {
    super(`allocation of ${requested} bytes exceeds the ${what} of ${limit} bytes`);
  }
}

/** Use of an allocation or range that is not valid (freed, out of bounds, misaligned, wrong owner). */
export class InvalidRangeError extends HandoverError {
  override name = 'InvalidRangeError';
}

/** A launch was refused because the gate is closed. */
export class GateClosedError extends HandoverError {
  override name = 'GateClosedError';
  constructor(readonly kernel: string) {
    super(`gate is closed: training kernel '${kernel}' refused until the gate reopens`);
  }
}

/** The work a gate was asked to run was dropped by close(). */
export class DiscardedError extends HandoverError {
  override name = 'DiscardedError';
  constructor(readonly dropped: number) {
    super(`discarded: ${dropped} queued training kernels were dropped by a gate close`);
  }
}

/** A GPU API call failed (validation, out of memory in the driver, device lost). */
export class DeviceError extends HandoverError {
  override name = 'DeviceError';
  constructor(readonly call: string, readonly detail: string) {
    super(`${call} failed: ${detail}`);
  }
}

/** No GPU adapter could be obtained. */
export class NoAdapterError extends HandoverError {
  override name = 'NoAdapterError';
}

/** Bad user input (flags, shapes, files). */
export class UsageError extends HandoverError {
  override name = 'UsageError';
}
