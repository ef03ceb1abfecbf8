// Typed errors of the operator conformance harness.
import { HandoverError } from '../core/errors.js';

/** A test table that is not valid JSONC or does not have the documented shape. */
export class OpTableFormatError extends HandoverError {
  override name = 'OpTableFormatError';
  constructor(readonly file: string, readonly where: string, readonly reason: string) {
    super(`${file}: ${where ? `${where}: ` : ''}${reason}`);
  }
}

/** A test the engine cannot express or run (a type, domain or op it lacks); reported, never a crash. */
export class UnsupportedTestError extends HandoverError {
  override name = 'UnsupportedTestError';
  constructor(readonly reason: string) {
    super(reason);
  }
}
