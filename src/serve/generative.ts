// Which served models are decoders with an explicit KV cache (the layout of
// tiny_gpt_kv: input_ids, position_ids and past_{k,v}_l in; logits and
// present_{k,v}_l out), and a continuous batch for each over the server's
// arena. `handover serve --model gpt=tiny_gpt_kv.onnx` serves such a model on
// /v2/models/gpt/generate and the OpenAI routes as well as /infer.
import { readFileSync } from 'node:fs';
import type { Arena } from '../core/arena.js';
import type { ModelInfo, ModelStore } from '../infer/store.js';
import { Batcher } from '../llm/batcher.js';
import { pastName, type KvShape } from '../llm/cache.js';
import { Generator } from '../llm/generate.js';
import { PagedKvCache } from '../llm/kv-cache.js';
import { parseModel } from '../onnx/loader.js';
import type { MemorySide } from '../sched/core.js';

export interface DecoderShape {
  kv: KvShape;
  vocab: number;
  /** Positions the model embeds (its context length). */
  maxPositions: number;
}

/** Context length assumed when the position embedding cannot be found in the graph. */
export const DEFAULT_MAX_POSITIONS = 512;

/** The decoder's geometry, or null when the model is not a KV-cache decoder. */
export function decoderShape(info: ModelInfo): DecoderShape | null {
  const input = (n: string) => info.inputs.find((s) => s.name === n);
  if (!input('input_ids') || !input('position_ids') || !input(pastName('k', 0))) return null;
  const logits = info.outputs.find((s) => s.name === 'logits');
  const vocab = logits?.dims[logits.dims.length - 1];
  const past = input(pastName('k', 0))!.dims;
  const [heads, headDim] = [past[1], past[3]];
  if (typeof vocab !== 'number' || typeof heads !== 'number' || typeof headDim !== 'number' || past.length !== 4) return null;
  let layers = 0;
  while (input(pastName('k', layers)) && input(pastName('v', layers))) layers++;
  return { kv: { layers, heads, headDim }, vocab, maxPositions: positionsOf(info.file) };
}

/** The rows of the table that position_ids index (a Gather over an initializer); the default when not found. */
function positionsOf(file: string): number {
  try {
    const g = parseModel(readFileSync(file), file);
    const gather = g.nodes.find((n) => n.op === 'Gather' && n.inputs[1] === 'position_ids' && g.initializers.has(n.inputs[0]!));
    const rows = gather ? g.initializers.get(gather.inputs[0]!)!.dims[0] : undefined;
    return rows && rows > 0 ? rows : DEFAULT_MAX_POSITIONS;
  } catch {
    return DEFAULT_MAX_POSITIONS;
  }
}

/** A continuous batch over a paged KV cache in `arena` for each decoder among `names`. */
export function buildGenerative(store: ModelStore, arena: Arena, names: string[], memory: MemorySide, opts: { maxBatch?: number } = {}): Map<string, Batcher> {
  const out = new Map<string, Batcher>();
  for (const name of names) {
    const shape = decoderShape(store.get(name)!);
    if (!shape) continue;
    const cache = new PagedKvCache(arena, shape.kv);
    const gen = new Generator(store, name, cache, { vocab: shape.vocab, maxPositions: shape.maxPositions });
    out.set(name, new Batcher(gen, cache, memory, { maxBatch: opts.maxBatch }));
  }
  return out;
}
