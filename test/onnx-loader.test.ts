// ONNX loading: the writer round trip, typed errors for malformed models, and
// host folding of shape-only subgraphs (no GPU step left for them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../src/onnx/errors.js';
import { parseModel } from '../src/onnx/loader.js';
import { ModelProto } from '../src/onnx/schema.js';
import { buildModel } from '../src/onnx/writer.js';
import { decodeTensor, fromValues } from '../src/onnx/tensor.js';
import { planGraph } from '../src/infer/plan.js';

const w = fromValues('float32', [4, 3], Array.from({ length: 12 }, (_, i) => i / 7));

function modelError(fn: () => unknown): ModelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('expected a ModelError');
}

function planOf(bytes: Uint8Array, dims: Record<string, number[]>) {
  const g = parseModel(bytes);
  return planGraph(g, new Map(Object.entries(dims)));
}

describe('writer and loader', () => {
  it('round-trips nodes, attributes, initializers and symbolic dims', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Gemm', inputs: ['x', 'w'], outputs: ['y'], name: 'fc', attrs: { alpha: 0.5, transB: 0, note: 'hi', pads: [1, 2] } }],
      inputs: [{ name: 'x', type: 'float32', dims: ['batch', 4] }],
      outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }],
      initializers: { w },
      opset: 13,
    });
    const g = parseModel(bytes);
    expect(g.opset).toBe(13);
    expect(g.inputs).toEqual([{ name: 'x', type: 'float32', dims: ['batch', 4] }]);
    const n = g.nodes[0]!;
    expect([n.name, n.op, n.float('alpha', 1), n.int('transB'), n.string('note', ''), n.ints('pads')]).toEqual(['fc', 'Gemm', 0.5, 0, 'hi', [1, 2]]);
    expect(Array.from(g.initializers.get('w')!.value.data)).toEqual(Array.from(w.data));
  });

  it('decodes typed fields as well as raw_data', () => {
    expect(Array.from(decodeTensor({ dims: [3], data_type: 7, int64_data: [1, -2, 3] }).data)).toEqual([1, -2, 3]);
    expect(Array.from(decodeTensor({ dims: [2], data_type: 1, float_data: [0.5, 2] }).data)).toEqual([0.5, 2]);
    expect(Array.from(decodeTensor({ dims: [2], data_type: 9, int32_data: [1, 0] }).data)).toEqual([1, 0]);
    expect(Array.from(decodeTensor({ dims: [2], data_type: 11, double_data: [0.25, -1] }).data)).toEqual([0.25, -1]);
  });
});

describe('malformed models give a ModelError naming node, op and reason', () => {
  const relu = (inp: string, out: string, name: string) => ({ op: 'Relu', inputs: [inp], outputs: [out], name });
  const io = { inputs: [{ name: 'x', type: 'float32' as const, dims: [2] }], outputs: [{ name: 'y', type: 'float32' as const, dims: [2] }] };

  it('a truncated file', () => {
    const bytes = readFileSync('test/fixtures/squeezenet1_1.onnx');
    const e = modelError(() => parseModel(bytes.subarray(0, Math.floor(bytes.length / 2)), 'squeezenet1_1.onnx'));
    expect(e.reason).toMatch(/truncated/);
  });

  it('bytes that are not ONNX', () => {
    modelError(() => parseModel(new TextEncoder().encode('hello, this is not a model'), 'x.onnx'));
  });

  it('an unknown op', () => {
    const bytes = buildModel({ nodes: [{ op: 'FrobnicateTensor', inputs: ['x'], outputs: ['y'], name: 'bad' }], ...io });
    const e = modelError(() => planOf(bytes, { x: [2] }));
    expect([e.node, e.op]).toEqual(['bad', 'FrobnicateTensor']);
    expect(e.reason).toMatch(/not supported/);
  });

  it('a missing initializer', () => {
    const bytes = buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'bias'], outputs: ['y'], name: 'add' }], ...io });
    const e = modelError(() => parseModel(bytes));
    expect([e.node, e.op]).toEqual(['add', 'Add']);
    expect(e.reason).toMatch(/'bias'.*missing initializer/);
  });

  it('a cyclic graph', () => {
    const bytes = buildModel({ nodes: [relu('x', 'a', 'first'), { op: 'Add', inputs: ['a', 'c'], outputs: ['b'], name: 'join' }, relu('b', 'c', 'loop'), relu('c', 'y', 'last')], ...io });
    const e = modelError(() => parseModel(bytes));
    expect(['join', 'loop', 'last']).toContain(e.node);
    expect(e.reason).toMatch(/cycle/);
  });

  it('external tensor data', () => {
    const msg = ModelProto.decode(buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], ...io, initializers: { w: fromValues('float32', [2], [1, 2]) } })) as unknown as {
      graph: { initializer: { raw_data?: Uint8Array; data_location?: number; external_data?: { key: string; value: string }[] }[] };
    };
    const t = msg.graph.initializer[0]!;
    t.raw_data = new Uint8Array();
    t.data_location = 1;
    t.external_data = [{ key: 'location', value: 'weights.bin' }];
    const e = modelError(() => parseModel(ModelProto.encode(ModelProto.fromObject(msg)).finish()));
    expect(e.reason).toMatch(/external/);
  });

  it('a value that must be constant but is not', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'], name: 'reshape' }],
      inputs: [{ name: 'x', type: 'float32', dims: [6] }, { name: 's', type: 'int64', dims: [2] }],
      outputs: [{ name: 'y', type: 'float32' }],
    });
    const e = modelError(() => planOf(bytes, { x: [6], s: [2] }));
    expect(e.reason).toMatch(/known at load time/);
  });

  it('shapes that cannot broadcast', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Add', inputs: ['x', 'z'], outputs: ['y'], name: 'add' }],
      inputs: [{ name: 'x', type: 'float32', dims: [3, 4] }, { name: 'z', type: 'float32', dims: [5] }],
      outputs: [{ name: 'y', type: 'float32' }],
    });
    expect(modelError(() => planOf(bytes, { x: [3, 4], z: [5] })).reason).toMatch(/cannot be broadcast/);
  });
});

describe('shape-only subgraphs fold on the host', () => {
  it('Shape -> Gather -> Unsqueeze -> Concat -> Reshape leaves only the Reshape view', () => {
    const bytes = buildModel({
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'rest'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', type: 'float32', dims: ['batch', 4, 6] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { zero: fromValues('int64', [], [0]), axes: fromValues('int64', [1], [0]), rest: fromValues('int64', [1], [-1]) },
    });
    const plan = planOf(bytes, { x: [3, 4, 6] });
    expect(plan.steps.map((s) => s.node.op)).toEqual(['Reshape']);
    expect(plan.values.get('y')!.dims).toEqual([3, 24]);
  });

  it('tiny_gpt: no Shape, ConstantOfShape, Concat, Unsqueeze, Cast or Trilu reaches the GPU', () => {
    const plan = planOf(readFileSync('test/fixtures/tiny_gpt.onnx'), { input_ids: [4, 32] });
    const ops = new Set(plan.steps.map((s) => s.node.op));
    for (const op of ['Shape', 'ConstantOfShape', 'Concat', 'Unsqueeze', 'Cast', 'Trilu', 'Constant']) expect(ops.has(op)).toBe(false);
    expect(plan.values.get('logits')!.dims).toEqual([4, 32, 2048]);
  });
});
