// The OpenAI request bodies (completions and chat completions) checked and
// turned into one GenerationCall. Every mistake is a ParamError naming the
// field, as OpenAI's own API answers; fields this server ignores harmlessly
// (user, metadata, ...) are ignored, fields whose meaning it cannot honour
// (n > 1, logprobs, penalties) are refused.
import { ParamError } from './errors.js';
import { chatPrompt, type ChatMessage, type TextTokenizer } from './tokenizer.js';

export interface GenerationCall {
  model: string;
  prompt: number[];
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

/** Default max_tokens of a completion when the client gives none (OpenAI's is 16). */
export const DEFAULT_MAX_TOKENS = 16;
const MAX_STOPS = 4;

type Body = Record<string, unknown>;

export function parseCompletion(body: unknown, tok: (model: string) => { tokenizer: TextTokenizer; maxPositions: number }): GenerationCall {
  const b = object(body);
  const model = modelOf(b);
  const { tokenizer, maxPositions } = tok(model);
  const prompt = promptIds(b.prompt, tokenizer);
  if (b.echo === true) throw new ParamError('echo', 'is not supported');
  if (b.best_of !== undefined && b.best_of !== 1 && b.best_of !== null) throw new ParamError('best_of', 'only 1 is supported');
  if (b.suffix !== undefined && b.suffix !== null) throw new ParamError('suffix', 'is not supported');
  return common(b, model, prompt, maxPositions, b.max_tokens, 'max_tokens');
}

export function parseChat(body: unknown, tok: (model: string) => { tokenizer: TextTokenizer; maxPositions: number }): GenerationCall {
  const b = object(body);
  const model = modelOf(b);
  const { tokenizer, maxPositions } = tok(model);
  if (!Array.isArray(b.messages)) throw new ParamError('messages', 'must be an array of {role, content}');
  const messages = b.messages.map((m, i) => message(m, i));
  const prompt = tokenizer.encode(chatPrompt(messages));
  if (b.tools !== undefined && b.tools !== null && !(Array.isArray(b.tools) && b.tools.length === 0)) throw new ParamError('tools', 'tool calls are not supported');
  const key = b.max_completion_tokens !== undefined && b.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  return common(b, model, prompt, maxPositions, b[key], key);
}

function common(b: Body, model: string, prompt: number[], maxPositions: number, maxTokensField: unknown, maxKey: string): GenerationCall {
  if (prompt.length === 0) throw new ParamError('prompt', 'is empty: give at least one token');
  if (prompt.length >= maxPositions) throw new ParamError('prompt', `is ${prompt.length} tokens; model '${model}' has a context of ${maxPositions}`, 'context_length_exceeded');
  const room = maxPositions - prompt.length;
  let maxTokens = Math.min(DEFAULT_MAX_TOKENS, room);
  if (maxTokensField !== undefined && maxTokensField !== null) {
    maxTokens = int(maxTokensField, maxKey, 1);
    if (maxTokens > room)
      throw new ParamError(maxKey, `${maxTokens} tokens after a ${prompt.length}-token prompt exceed model '${model}''s context of ${maxPositions}`, 'context_length_exceeded');
  }
  const n = b.n ?? 1;
  if (n !== 1) throw new ParamError('n', `only n = 1 is supported, got ${short(n)}`);
  if (b.logprobs !== undefined && b.logprobs !== null && b.logprobs !== false) throw new ParamError('logprobs', 'is not supported');
  for (const k of ['presence_penalty', 'frequency_penalty'])
    if (b[k] !== undefined && b[k] !== null && b[k] !== 0) throw new ParamError(k, 'only 0 is supported');
  if (b.logit_bias !== undefined && b.logit_bias !== null && Object.keys(object(b.logit_bias, 'logit_bias')).length > 0) throw new ParamError('logit_bias', 'is not supported');
  const temperature = num(b.temperature, 'temperature', 1, 0, 2);
  const topP = num(b.top_p, 'top_p', 1, 0, 1);
  if (topP === 0) throw new ParamError('top_p', 'must be greater than 0');
  const seed = b.seed === undefined || b.seed === null ? Math.floor(Math.random() * 2 ** 31) : int(b.seed, 'seed', -(2 ** 53));
  const stream = b.stream === undefined || b.stream === null ? false : bool(b.stream, 'stream');
  let includeUsage = false;
  if (b.stream_options !== undefined && b.stream_options !== null) {
    const so = object(b.stream_options, 'stream_options');
    if (so.include_usage !== undefined) includeUsage = bool(so.include_usage, 'stream_options.include_usage');
  }
  return { model, prompt, maxTokens, temperature, topP, seed, stop: stops(b.stop), stream, includeUsage };
}

function promptIds(p: unknown, tokenizer: TextTokenizer): number[] {
  if (typeof p === 'string') return tokenizer.encode(p);
  if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') return tokenizer.encode(p[0]);
  if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isSafeInteger(x))) return p as number[];
  if (Array.isArray(p) && p.length === 1 && Array.isArray(p[0])) return promptIds(p[0], tokenizer);
  if (Array.isArray(p) && p.length > 1) throw new ParamError('prompt', 'one prompt per request is supported (a string, or an array of token ids)');
  throw new ParamError('prompt', 'must be a string or an array of token ids');
}

const ROLES = new Set(['system', 'user', 'assistant', 'developer', 'tool']);

function message(m: unknown, i: number): ChatMessage {
  const o = object(m, `messages[${i}]`);
  if (typeof o.role !== 'string' || !ROLES.has(o.role)) throw new ParamError(`messages[${i}].role`, `must be one of ${[...ROLES].join(', ')}`);
  let content: string;
  if (typeof o.content === 'string') content = o.content;
  else if (Array.isArray(o.content)) {
    content = o.content.map((part, j) => {
      const q = object(part, `messages[${i}].content[${j}]`);
      if (q.type !== 'text' || typeof q.text !== 'string') throw new ParamError(`messages[${i}].content[${j}]`, 'only text parts are supported');
      return q.text;
    }).join('');
  } else if (o.content === null && o.role === 'assistant') content = '';
  else throw new ParamError(`messages[${i}].content`, 'must be a string or an array of text parts');
  return { role: o.role as ChatMessage['role'], content };
}

function stops(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > MAX_STOPS || !list.every((s) => typeof s === 'string' && s.length > 0))
    throw new ParamError('stop', `must be a non-empty string or an array of up to ${MAX_STOPS} of them`);
  return list as string[];
}

function modelOf(b: Body): string {
  if (typeof b.model !== 'string' || b.model === '') throw new ParamError('model', 'must name a served model (see GET /v1/models)');
  return b.model;
}

function object(v: unknown, what = 'body'): Body {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParamError(what, 'must be a JSON object');
  return v as Body;
}

function int(v: unknown, k: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new ParamError(k, `must be an integer >= ${min}, got ${short(v)}`);
  return v;
}

function num(v: unknown, k: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !(v >= min && v <= max)) throw new ParamError(k, `must be a number in [${min}, ${max}], got ${short(v)}`);
  return v;
}

function bool(v: unknown, k: string): boolean {
  if (typeof v !== 'boolean') throw new ParamError(k, `must be true or false, got ${short(v)}`);
  return v;
}

/** A value for an error message: never more than a short prefix of what the client sent. */
export function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
