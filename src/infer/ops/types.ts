// The contract of one ONNX op on the GPU: static output shapes, and the
// kernel launches that compute it. Ops never allocate: the planner gives
// every output a place in the inference workspace before emit() is called.
import type { Bindable, Launch } from '../../core/device.js';
import type { OnnxNode } from '../../onnx/graph.js';
import type { DType, HostTensor } from '../../onnx/tensor.js';

/** What is known about a value at plan time. `value` is set for small constants and host inputs. */
export interface Meta {
  type: DType;
  dims: number[];
  value?: HostTensor;
}

/** A value on the GPU: 4 bytes per element (f32, i32 for int64/int32, u32 0/1 for bool). */
export interface Tensor extends Meta {
  buf: Bindable;
}

export interface OpDef {
  /** Output types and dims; throws ModelError (node.fail) with an actionable reason. */
  shape(n: OnnxNode, ins: (Meta | undefined)[], opset: number): Meta[];
  /** Launches that write every output element. */
  emit(n: OnnxNode, ins: (Tensor | undefined)[], outs: Tensor[], opset: number): Launch[];
  /** WGSL kernels this op may launch (compiled ahead of the first run). */
  kernels: readonly string[];
  /** Output 0 is input 0's storage seen with other dims (Reshape and friends): no launch. */
  alias?: boolean;
  /** Inputs read on the host at plan time (shapes, axes, pads): they must be constants. */
  hostInputs?: readonly number[];
  /**
   * Stand-ins for omitted optional inputs the kernel binds anyway (a zero
   * bias): WebGPU forbids binding one writable range twice in a launch.
   */
  defaults?: (n: OnnxNode, ins: (Meta | undefined)[]) => Record<number, HostTensor>;
}
