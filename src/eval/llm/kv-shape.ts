// The attention geometry of a decoder exported with an explicit KV cache, read
// from the file: past_k_l inputs are [batch, heads, past, headDim], one pair
// per layer (scripts/models/export_tiny_gpt_kv.py). The LLM testbed sizes its
// paged KV cache from it, so gpt2_small_kv (12 x 12 heads of 64) and the
// shipped tiny model (2 x 4 of 32) need no flag.
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import type { KvShape } from '../../llm/cache.js';
import { pastName } from '../../llm/cache.js';
import { parseModel } from '../../onnx/loader.js';

export function kvShapeOf(path: string): KvShape {
  const model = parseModel(new Uint8Array(readFileSync(path)), path);
  const byName = new Map(model.inputs.map((i) => [i.name, i.dims]));
  let layers = 0;
  while (byName.has(pastName('k', layers)) && byName.has(pastName('v', layers))) layers++;
  const dims = byName.get(pastName('k', 0));
  if (layers === 0 || !dims || dims.length !== 4 || typeof dims[1] !== 'number' || typeof dims[3] !== 'number')
    throw new UsageError(`${path}: not a decoder with an explicit KV cache (inputs ${pastName('k', 0)}/${pastName('v', 0)}... of [batch, heads, past, headDim] with fixed heads and headDim)`);
  return { layers, heads: dims[1], headDim: dims[3] };
}
