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
    super(node || op ? `node '${quote(node)}' (${quote(op)}): ${reason}` : reason);
  }
}

/** Inputs given to run() that do not match the model (name, type or shape). */
export class InputError extends HandoverError {
  override name = 'InputError';
  constructor(readonly input: string, readonly reason: string) {
    super(`input '${quote(input)}': ${reason}`);
  }
}

/** Most characters of a name or of user input quoted back in an error message. */
export const QUOTE_CHARS = 80;

/** A string for a message: at most `max` characters, then how many there were. */
export function quote(s: string, max = QUOTE_CHARS): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length} characters)`;
}

/** A list for a message: at most 8 entries, then how many there were. */
export function quoteList(xs: readonly unknown[]): string {
  return xs.length <= 8 ? xs.join(',') : `${xs.slice(0, 8).join(',')},... (${xs.length} entries)`;
}
