// Checks of a model and of a request against what they will touch, made on
// the host before anything reaches the GPU:
// - index inputs: a graph input that feeds Gather's indices (directly or
//   through views and integer casts) must hold indices inside the gathered
//   axis, as ONNX Runtime demands (the GPU kernel would otherwise read
//   another row, or clamp, and answer a wrong 200);
// - sizes: a model's weights and a plan's workspace must fit the arena and
//   one allocation of the device before the arena is asked for them.
import type { Arena } from '../core/arena.js';
import { InputError, ModelError } from '../onnx/errors.js';
import { normAxis } from '../onnx/shape-util.js';
import type { TensorData } from './convert.js';
import type { Plan } from './plan.js';

/** An index input holds an index outside the axis it gathers from (400, as in ONNX Runtime). */
export class IndexRangeError extends InputError {
  override name = 'IndexRangeError';
  constructor(input: string, readonly node: string, readonly position: number, readonly value: number, readonly size: number) {
    super(input, `element ${position} is ${value}, outside [${-size}, ${size - 1}] of the axis node '${node}' gathers from (size ${size})`);
  }
}

/** A request whose plan needs more memory than the arena can ever give it. */
export class WorkspaceTooLargeError extends InputError {
  override name = 'WorkspaceTooLargeError';
  constructor(input: string, readonly needed: number, readonly limit: number, what: string) {
    super(input, `these dims need ${mib(needed)} of workspace, more than ${what} (${mib(limit)}); send a smaller batch`);
  }
}

interface IndexBound {
  input: string;
  node: string;
  size: number;
}

/** Ops whose output holds the same integers as input 0 (a view, or a cast between integer types). */
const SAME_VALUES = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Cast']);

const boundsOf = new WeakMap<Plan, IndexBound[]>();

/** The graph inputs a plan gathers with, and the size of the axis each indexes. */
export function indexBounds(plan: Plan): IndexBound[] {
  const cached = boundsOf.get(plan);
  if (cached) return cached;
  const inputs = new Set(plan.inputs.filter((i) => i.type === 'int64' || i.type === 'int32').map((i) => i.name));
  const source = new Map<string, string>();
  for (const i of inputs) source.set(i, i);
  const bounds: IndexBound[] = [];
  for (const s of plan.steps) {
    const first = s.ins[0];
    if (SAME_VALUES.has(s.node.op) && first && source.has(first) && plan.values.get(s.outs[0] ?? '')?.type !== 'float32')
      source.set(s.outs[0]!, source.get(first)!);
    if (s.node.op !== 'Gather') continue;
    const idx = s.ins[1];
    const input = idx ? source.get(idx) : undefined;
    const data = plan.values.get(s.ins[0] ?? '');
    if (!input || !data) continue;
    const axis = normAxis(s.node, s.node.int('axis', 0), data.dims.length);
    bounds.push({ input, node: s.node.name, size: data.dims[axis]! });
  }
  boundsOf.set(plan, bounds);
  return bounds;
}

/**
 * Constant indices of every Gather the GPU runs, checked at registration
 * (the op's own shape check sees only constants of up to 64 elements).
 */
export function checkConstantIndices(plan: Plan): void {
  for (const s of plan.steps) {
    if (s.node.op !== 'Gather') continue;
    const idx = plan.values.get(s.ins[1] ?? '');
    const data = plan.values.get(s.ins[0] ?? '');
    const values = idx?.host ?? idx?.init?.value;
    if (!values || !data) continue;
    const axis = normAxis(s.node, s.node.int('axis', 0), data.dims.length);
    const size = data.dims[axis]!;
    const bad = values.data.findIndex((v) => v < -size || v >= size);
    if (bad >= 0) throw s.node.fail(`constant index ${values.data[bad]} (element ${bad} of '${s.ins[1]}') is outside [${-size}, ${size - 1}] of axis ${axis}`);
  }
}

/** Throws IndexRangeError for the first index input element outside its gathered axis. */
export function checkIndices(plan: Plan, inputs: Record<string, TensorData>): void {
  for (const b of indexBounds(plan)) {
    const data = inputs[b.input]?.data;
    if (!data) continue;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]!);
      // Beyond int32 the conversion to device words refuses it with its own message.
      if ((v < -b.size || v >= b.size) && Math.abs(v) <= 2147483647) throw new IndexRangeError(b.input, b.node, i, v, b.size);
    }
  }
}

/** The most one allocation of this arena can be: one backing, one binding, no more than the arena. */
function largestAllocation(arena: Arena): number {
  return Math.min(arena.bytes, arena.pagesPerBacking * arena.pageBytes);
}

/** A model whose weights or batch-1 workspace cannot fit this arena is refused at registration. */
export function checkModelFits(arena: Arena, file: string, weightBytes: number, probe: Plan): void {
  const limit = largestAllocation(arena);
  const what = arena.bytes <= limit ? `the arena's ${mib(arena.bytes)}` : `the largest allocation of ${mib(limit)}`;
  if (weightBytes > limit) throw new ModelError('', '', `${file}: its weights need ${mib(weightBytes)}, more than ${what}`);
  if (probe.workspaceBytes > limit) throw new ModelError('', '', `${file}: one run at the smallest dims needs ${mib(probe.workspaceBytes)} of workspace, more than ${what}`);
  if (weightBytes + probe.workspaceBytes > arena.bytes)
    throw new ModelError('', '', `${file}: weights (${mib(weightBytes)}) and one run's workspace (${mib(probe.workspaceBytes)}) do not fit the arena's ${mib(arena.bytes)}`);
}

/** A request whose workspace can never be allocated gets a typed 400 before the arena is asked. */
export function checkRequestFits(arena: Arena, plan: Plan): void {
  const limit = largestAllocation(arena);
  if (plan.workspaceBytes > limit) throw new WorkspaceTooLargeError(plan.inputs[0]?.name ?? '', plan.workspaceBytes, limit, 'one allocation of the arena can hold');
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
