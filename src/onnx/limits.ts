// Size limits of what a model file or a request can make the loader, the
// planner or the host allocate. Every size computed from a model (dims,
// attribute lists, folded results) is checked against these before anything
// is allocated, so a hostile or broken file gives a ModelError, never a
// typed-array RangeError or an allocation that grows without end.
import { ModelError, quoteList } from './errors.js';

export { quote, quoteList, QUOTE_CHARS } from './errors.js';

/** Newest default-domain opset accepted (ONNX Runtime 1.30 refuses newer ones at load as well). */
export const MAX_OPSET = 26;
/** Most dims of one tensor (ONNX Runtime's kernels stop well below this). */
export const MAX_RANK = 32;
/** Most entries of one list attribute (ints, floats, strings). */
export const MAX_ATTR_ENTRIES = 1 << 16;
/** Most elements of one tensor the GPU path addresses (u32 indices, 4 bytes each: 4 GiB). */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;
/** Most elements of a tensor computed on the host (folding, defaults): 512 MiB as float64. */
export const MAX_HOST_ELEMENTS = 2 ** 26;

/** A computed size beyond a limit: which node, what was computed, and the limit. */
export class SizeLimitError extends ModelError {
  override name = 'SizeLimitError';
  constructor(node: string, op: string, readonly what: string, readonly size: number, readonly limit: number) {
    super(node, op, `${what} would be ${fmt(size)}, above the limit of ${fmt(limit)}`);
  }
}

function fmt(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : n.toPrecision(4);
}

/**
 * Elements of a tensor of `dims`, checked: every dim a non-negative integer,
 * the rank and the product within limits. `where` names the node.
 */
export function checkedElements(dims: readonly number[], limit: number, where: { node: string; op: string }, what = 'tensor'): number {
  if (dims.length > MAX_RANK) throw new SizeLimitError(where.node, where.op, `rank of ${what}`, dims.length, MAX_RANK);
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelError(where.node, where.op, `${what} has dims [${quoteList(dims)}]; every dim must be a non-negative integer`);
    n *= d;
  }
  if (n > limit) throw new SizeLimitError(where.node, where.op, `element count of ${what} [${quoteList(dims)}]`, n, limit);
  return n;
}
