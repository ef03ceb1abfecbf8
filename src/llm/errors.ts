// Typed errors of LLM generation and the paged KV cache.
import { HandoverError } from '../core/errors.js';

/** A sequence id the cache or generator does not know (or knows already). */
export class SequenceError extends HandoverError {
  override name = 'SequenceError';
  constructor(readonly sequence: number, readonly reason: string) {
    super(`sequence ${sequence}: ${reason}`);
  }
}

/** A prompt, token or generation option a caller can fix. */
export class GenerateInputError extends HandoverError {
  override name = 'GenerateInputError';
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

/** The cache cannot take another block (the batcher asks the memory side or queues). */
export class BlocksExhaustedError extends HandoverError {
  override name = 'BlocksExhaustedError';
  constructor(readonly requestedBlocks: number, readonly freeBlocks: number) {
    super(`KV cache needs ${requestedBlocks} more block(s), ${freeBlocks} free and no page to grow into`);
  }
}

/** A request's deadline passed while it waited to join the batch: dropped before it ran. */
export class QueueDeadlineError extends HandoverError {
  override name = 'QueueDeadlineError';
  constructor(readonly waitedMs: number) {
    super(`the request's deadline passed after ${Math.round(waitedMs)} ms waiting to join the batch; it was not run`);
  }
}
