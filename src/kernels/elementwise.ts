// Wrappers of the one-element-per-invocation kernels.
import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';

type Buf = Range | Bindable;

/** y[i] = bit pattern `value` for n words (f32 via fillValue). */
export function fill(y: Buf, n: number, value: number): Launch {
  return { kernel: 'fill', bindings: [y], params: packParams([n, value >>> 0]), threads: [n] };
}

/** The u32 bit pattern of an f32 value, for fill(). */
export function f32Bits(v: number): number {
  return new Uint32Array(new Float32Array([v]).buffer)[0]!;
}

/** y[r, j] += bias[j] for y [m, n], in place. */
export function biasAdd(y: Buf, bias: Buf, m: number, n: number): Launch {
  return { kernel: 'bias_add', bindings: [y, bias], params: packParams([m, n]), threads: [m * n] };
}

/** y = max(x, 0) over n elements. */
export function relu(x: Buf, y: Buf, n: number): Launch {
  return { kernel: 'relu', bindings: [x, y], params: packParams([n]), threads: [n] };
}

/** dx = dy where x > 0, else 0 (x is the pre-activation). */
export function reluBackward(x: Buf, dy: Buf, dx: Buf, n: number): Launch {
  return { kernel: 'relu_backward', bindings: [x, dy, dx], params: packParams([n]), threads: [n] };
}

/** y += alpha * x over n elements. */
export function axpy(x: Buf, y: Buf, n: number, alpha = 1): Launch {
  return { kernel: 'axpy', bindings: [x, y], params: packParams([n, { f32: alpha }]), threads: [n] };
}
