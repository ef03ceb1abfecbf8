// What the server needs from the inference engine: the few ModelStore
// methods it calls. The real ModelStore (src/infer/store.ts) satisfies it;
// keeping the dependency this narrow lets the server be tested on its own.
export type TensorType = 'float32' | 'int64' | 'int32' | 'bool';
export interface TensorData {
  type: TensorType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}
export interface IoSpec {
  name: string;
  type: TensorType;
  dims: (number | string)[];
}
export interface ModelInfo {
  name: string;
  file: string;
  bytes: number;
  state: 'cold' | 'loading' | 'warm';
  lastUsed: number;
  loadMs: number;
  inputs: IoSpec[];
  outputs: IoSpec[];
}

export interface ServableStore {
  load(name: string, opts?: { pipelined?: boolean }): Promise<ModelInfo>;
  run(name: string, inputs: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  get(name: string): ModelInfo | undefined;
  list(): ModelInfo[];
}
