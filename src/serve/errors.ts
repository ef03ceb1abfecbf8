// Errors of the inference server. A RequestError carries the HTTP status a
// client gets; anything else that escapes a handler is an engine error (500).
import { HandoverError, OutOfMemoryError } from '../core/errors.js';
import { BlocksExhaustedError, QueueDeadlineError } from '../llm/errors.js';

/** The device or the KV cache is full now, or the request waited past its deadline (not the client's fault, not a bug): 503 and retry. */
export function isOutOfMemory(err: unknown): boolean {
  return err instanceof OutOfMemoryError || err instanceof BlocksExhaustedError || err instanceof QueueDeadlineError;
}

export class RequestError extends HandoverError {
  override name = 'RequestError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The request cannot be served as sent (400): bad JSON shape, tensor, name or datatype. */
export class BadRequestError extends RequestError {
  override name = 'BadRequestError';
  constructor(message: string, readonly tensor?: string) {
    super(400, tensor === undefined ? message : `input '${tensor}': ${message}`);
  }
}

/** No model of that name (or version) is registered (404). */
export class ModelNotFoundError extends RequestError {
  override name = 'ModelNotFoundError';
  constructor(readonly model: string, readonly version?: string) {
    super(404, version === undefined ? `unknown model '${model}'` : `model '${model}' has no version '${version}' (only '1')`);
  }
}

/** The engine ran but returned something the server cannot answer with (500). */
export class EngineOutputError extends HandoverError {
  override name = 'EngineOutputError';
  constructor(readonly model: string, readonly output: string, detail: string) {
    super(`model '${model}' output '${output}': ${detail}`);
  }
}

/** A request field an OpenAI-style client sent wrong (400, with the field's name). */
export class ParamError extends RequestError {
  override name = 'ParamError';
  constructor(readonly param: string, message: string, readonly code: string | null = null) {
    super(400, `'${param}': ${message}`);
  }
}

/** Too much work queued for this model (429) or for the server (503); the client should retry after `retryAfterS`. */
export class OverloadError extends RequestError {
  override name = 'OverloadError';
  constructor(status: 429 | 503, message: string, readonly retryAfterS: number) {
    super(status, message);
  }
}

/** The request's deadline passed before it could run: dropped, not run; an overload (503, retry). */
export class DeadlineError extends OverloadError {
  override name = 'DeadlineError';
  constructor(readonly deadlineMs: number, readonly waitedMs: number) {
    super(503, `the request's deadline of ${deadlineMs} ms passed after ${Math.round(waitedMs)} ms in the queue; it was not run`, 1);
  }
}
