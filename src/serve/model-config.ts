// A model's serving configuration in a Triton-style repository, read from
// `<model>/config.json` or `<model>/config.pbtxt`. Only the fields this
// server honours are read, with Triton's names:
//   max_batch_size: 8
//   dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 500 }
//   instance_group [ { count: 2 } ]
// (JSON: {"max_batch_size": 8, "dynamic_batching": {"preferred_batch_size": [4, 8],
//  "max_queue_delay_microseconds": 500}, "instance_group": [{"count": 2}]}).
// Without a dynamic_batching block a model is not batched (as in Triton).
import { HandoverError } from '../core/errors.js';
import { checkPolicy, type ModelPolicy } from './model-policy.js';

/** A config file that cannot be read as one: names the file and the field. */
export class ModelConfigError extends HandoverError {
  override name = 'ModelConfigError';
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

interface RawConfig {
  max_batch_size?: number;
  dynamic_batching?: { preferred_batch_size?: number[]; max_queue_delay_microseconds?: number };
  instance_group?: { count?: number }[];
}

export function configPolicy(raw: RawConfig, base: ModelPolicy, file: string): ModelPolicy {
  const max = raw.max_batch_size ?? 0;
  const db = raw.dynamic_batching;
  const count = (raw.instance_group ?? []).reduce((a, g) => a + (g.count ?? 1), 0);
  try {
    return checkPolicy({
      ...base,
      maxBatchSize: db && max > 0 ? max : 1,
      preferredBatchSizes: db?.preferred_batch_size ?? [],
      maxQueueDelayMs: (db?.max_queue_delay_microseconds ?? 0) / 1000,
      instanceCount: count > 0 ? count : base.instanceCount,
    });
  } catch (e) {
    throw new ModelConfigError(file, (e as Error).message);
  }
}

export function parseConfigJson(text: string, file: string): RawConfig {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(file, `not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelConfigError(file, 'must be a JSON object');
  return v as RawConfig;
}

/**
 * The protobuf text format, as far as the fields above need: `key: value`,
 * `key: [ a, b ]`, `key { ... }` and `key [ { ... }, ... ]`; comments after '#'.
 * Unknown fields are skipped.
 */
export function parseConfigPbtxt(text: string, file: string): RawConfig {
  const tokens = text.replace(/#[^\n]*/g, '').match(/"[^"]*"|[{}[\]:,]|[^\s{}[\]:,]+/g) ?? [];
  let at = 0;
  const fail = (why: string) => new ModelConfigError(file, `${why} (near token ${at}: '${tokens[at] ?? 'end of file'}')`);
  const value = (): unknown => {
    const t = tokens[at++];
    if (t === undefined) throw fail('unexpected end');
    if (t === '{') return message('}');
    if (t === '[') {
      const list: unknown[] = [];
      while (tokens[at] !== ']') {
        if (tokens[at] === undefined) throw fail("missing ']'");
        list.push(value());
        if (tokens[at] === ',') at++;
      }
      at++;
      return list;
    }
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    return t.replace(/^"|"$/g, '');
  };
  const message = (end: string | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (tokens[at] !== end) {
      const key = tokens[at++];
      if (key === undefined || /[{}[\]:,]/.test(key)) throw fail('expected a field name');
      if (tokens[at] === ':') at++;
      out[key] = value();
      if (tokens[at] === ',' || tokens[at] === ';') at++;
    }
    at++;
    return out;
  };
  return message(undefined) as RawConfig;
}
