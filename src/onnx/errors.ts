// Typed errors of ONNX loading and execution: which node, which op, and why.
import { HandoverError } from '../core/errors.js';

/** A model that cannot be loaded or run as given (malformed, unsupported, inconsistent). */
export class ModelError extends HandoverError {
  override name = 'ModelError';
  constructor(
    /** Node name (or output name when unnamed); '' for model-level problems. */
    readonly node: string,
    /** ONNX op type; '' for model-level problems. */
    readonly op: string,
    readonly reason: string,
  ) {
    super(node || op ? `node '${node}' (${op}): ${reason}` : reason);
  }
}

/** Inputs given to run() that do not match the model (name, type or shape). */
export class InputError extends HandoverError {
  override name = 'InputError';
  constructor(readonly input: string, readonly reason: string) {
    super(`input '${input}': ${reason}`);
  }
}
