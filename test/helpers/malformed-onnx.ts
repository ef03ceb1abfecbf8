// A seeded generator of malformed ONNX files, of the kinds a careless
// exporter or an attacker produces: truncated, bit-flipped, zeroed, garbage,
// external data, cycles, unknown ops, huge opsets, overflowing dims, wrong
// raw_data length, bad attributes, huge sizes computed from constants, and
// huge fan-out. Each case says whether it must be refused (`invalid`) or may
// load (a mutation of a valid file can stay valid).
import { ModelProto } from '../../src/onnx/schema.js';
import { buildModel, type WriterModel } from '../../src/onnx/writer.js';
import { fromValues } from '../../src/onnx/tensor.js';
import { seeded } from '../../src/train/data.js';

export interface MalformedCase {
  kind: string;
  bytes: Uint8Array;
  /** True: every correct loader refuses it. False: it may load (then it must plan and stay within limits). */
  invalid: boolean;
}

const f32 = (dims: number[], r: () => number) => fromValues('float32', dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));

/** A small valid model: Conv -> Relu -> MaxPool -> Flatten -> Gemm, batch symbolic. */
export function baseModel(r: () => number): WriterModel {
  return {
    nodes: [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'MaxPool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', inputs: ['p'], outputs: ['f'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['f', 'fc', 'fb'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 2, 8, 8] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', 5] }],
    initializers: { w: f32([4, 2, 3, 3], r), b: f32([4], r), fc: f32([5, 64], r), fb: f32([5], r) },
    opset: 17,
  };
}

type Msg = ReturnType<typeof decodeObj>;
function decodeObj(bytes: Uint8Array) {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array }) as {
    opset_import: { domain?: string; version: number }[];
    graph: { node: { op_type: string; input: string[]; output: string[]; name?: string; attribute?: Record<string, unknown>[] }[]; initializer: Record<string, unknown>[]; input: Record<string, unknown>[] };
  };
}
function encodeObj(m: Msg): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

/** One valid model edited as a message (for what the writer refuses to write). */
function edited(r: () => number, edit: (m: Msg) => void): Uint8Array {
  const m = decodeObj(buildModel(baseModel(r)));
  edit(m);
  return encodeObj(m);
}

const io = (name: string, dims: (number | string)[]) => ({ name, type: 'float32' as const, dims });
const ints64 = (v: number[]) => fromValues('int64', [v.length], v);
const one = (nodes: WriterModel['nodes'], extra: Partial<WriterModel> = {}): Uint8Array =>
  buildModel({ nodes, inputs: [io('x', [2, 3])], outputs: [io('y', [2, 3])], opset: 17, ...extra });

/** The 2M-entry attribute case is the same bytes every time: built once. */
let hugeAttribute: Uint8Array | undefined;

/** Generators by kind; each takes the case's random source. */
const kinds: Record<string, { invalid: boolean; make: (r: () => number) => Uint8Array }> = {
  truncated: { invalid: false, make: (r) => { const b = buildModel(baseModel(r)); return b.subarray(0, Math.floor(r() * b.length)); } },
  'bit-flipped': { invalid: false, make: (r) => {
    const b = Uint8Array.from(buildModel(baseModel(r)));
    for (let k = 1 + Math.floor(r() * 8); k > 0; k--) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
    return b;
  } },
  zeroed: { invalid: false, make: (r) => {
    const b = Uint8Array.from(buildModel(baseModel(r)));
    const at = Math.floor(r() * b.length);
    b.fill(0, at, at + 1 + Math.floor(r() * 64));
    return b;
  } },
  garbage: { invalid: true, make: (r) => Uint8Array.from({ length: 1 + Math.floor(r() * 4096) }, () => Math.floor(r() * 256)) },
  'external data': { invalid: true, make: (r) => edited(r, (m) => {
    const t = m.graph.initializer[Math.floor(r() * m.graph.initializer.length)]!;
    delete t.raw_data;
    t.data_location = 1;
    t.external_data = [{ key: 'location', value: r() < 0.5 ? 'weights.bin' : '../../etc/passwd' }];
  }) },
  cycle: { invalid: true, make: (r) => {
    const len = 2 + Math.floor(r() * 5);
    const nodes = Array.from({ length: len }, (_, i) => ({ op: 'Relu', inputs: [`v${(i + len - 1) % len}`], outputs: [`v${i}`] }));
    nodes.push({ op: 'Add', inputs: ['x', 'v0'], outputs: ['y'] });
    return one(nodes);
  } },
  'unknown op': { invalid: true, make: (r) => one([{ op: ['FooBar', 'Loop', 'NonMaxSuppression', ''][Math.floor(r() * 4)]!, inputs: ['x'], outputs: ['y'] }]) },
  'huge opset': { invalid: true, make: (r) => edited(r, (m) => (m.opset_import[0]!.version = [27, 1000, 2 ** 31, 2 ** 53][Math.floor(r() * 4)]!)) },
  'overflowing dims': { invalid: true, make: (r) => {
    const d = [1e12, 2 ** 40, -1, -(2 ** 40)][Math.floor(r() * 4)]!;
    return r() < 0.5
      ? edited(r, (m) => ((m.graph.initializer[0]!.dims as number[])[0] = d))
      : buildModel({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [io('x', [d, 4])], outputs: [io('y', [d, 4])] });
  } },
  'wrong raw_data length': { invalid: true, make: (r) => edited(r, (m) => {
    const t = m.graph.initializer[Math.floor(r() * m.graph.initializer.length)]!;
    const raw = t.raw_data as number[];
    t.raw_data = r() < 0.5 ? raw.slice(0, Math.max(0, raw.length - 1 - Math.floor(r() * 8))) : [...raw, 1, 2, 3];
  }) },
  'bad attribute': { invalid: true, make: (r) => {
    const cases: (() => Uint8Array)[] = [
      () => edited(r, (m) => (m.graph.node[2]!.attribute = [{ name: 'kernel_shape', type: 7, ints: [0, 0] }])),
      () => edited(r, (m) => (m.graph.node[2]!.attribute = [{ name: 'kernel_shape', type: 3, s: [65] }])),
      () => edited(r, (m) => (m.graph.node[2]!.attribute = [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 7, ints: [0, 2] }])),
      () => edited(r, (m) => (m.graph.node[0]!.attribute = [{ name: 'kernel_shape', type: 7, ints: [5, 5] }])),
      () => edited(r, (m) => (m.graph.node[0]!.attribute = [{ name: 'pads', type: 7, ints: [1, 1, 1] }])),
      () => edited(r, (m) => (m.graph.node[3]!.attribute = [{ name: 'axis', type: 2, i: 9 }])),
      () => edited(r, (m) => (m.graph.node[1]!.attribute = [{ name: 'body', type: 5, g: { name: 'g' } }])),
      () => one([{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 0] } }]),
      () => one([{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 7 } }]),
      () => (hugeAttribute ??= one([{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { huge: Array.from({ length: 2_000_000 }, (_, i) => i) } }])),
    ];
    return cases[Math.floor(r() * cases.length)]!();
  } },
  'huge computed size': { invalid: true, make: (r) => {
    const cases: (() => Uint8Array)[] = [
      () => buildModel({ nodes: [{ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }], inputs: [], outputs: [io('y', [])], initializers: { s: ints64([1e6, 1e6]) } }),
      () => buildModel({ nodes: [{ op: 'Range', inputs: ['a', 'b', 'c'], outputs: ['y'] }], inputs: [], outputs: [io('y', [])], initializers: { a: ints64([0]), b: ints64([1e12]), c: ints64([1]) } }),
      () => buildModel({
        nodes: [{ op: 'Expand', inputs: ['x', 's'], outputs: ['y'] }],
        inputs: [io('x', [1, 1])], outputs: [io('y', [])], initializers: { s: ints64([1e9, 1e9]) },
      }),
      () => buildModel({ nodes: [{ op: 'Tile', inputs: ['x', 's'], outputs: ['y'] }], inputs: [io('x', [2, 3])], outputs: [io('y', [])], initializers: { s: ints64([1e8, 1e8]) } }),
      () => buildModel({ nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }], inputs: [io('x', [2, 3])], outputs: [io('y', [])], initializers: { s: ints64([1e12, 6e-12]) } }),
    ];
    return cases[Math.floor(r() * cases.length)]!();
  } },
  'huge fan-out': { invalid: false, make: (r) => fanOut(500 + Math.floor(r() * 1500)) },
  'index out of range': { invalid: true, make: (r) => buildModel({
    nodes: [{ op: 'Gather', inputs: ['t', 'i'], outputs: ['y'] }],
    inputs: [], outputs: [io('y', [])],
    initializers: { t: f32([4, 3], r), i: ints64([0, r() < 0.5 ? 4 : -5]) },
  }) },
};

/** A fan-out: one value read by `readers` nodes (the loader must stay linear). */
export function fanOut(readers: number): Uint8Array {
  const nodes = Array.from({ length: readers }, (_, i) => ({ op: 'Relu', inputs: ['x'], outputs: [`r${i}`] }));
  const outputs = Array.from({ length: readers }, (_, i) => io(`r${i}`, [2]));
  return buildModel({ nodes, inputs: [io('x', [2])], outputs });
}

export const MALFORMED_KINDS = Object.keys(kinds);

/** `count` cases, kinds in turn, from one seed. */
export function malformedCases(seed: number, count: number): MalformedCase[] {
  const r = seeded(seed);
  const names = Object.keys(kinds);
  return Array.from({ length: count }, (_, i) => {
    const kind = names[i % names.length]!;
    return { kind, bytes: kinds[kind]!.make(r), invalid: kinds[kind]!.invalid };
  });
}
