// GELU, GPT-2's tanh approximation (docs/gpt-kernels.md).
import { packParams, type Launch } from '../core/device.js';
import { positive, type Buf } from './shape.js';

/** y = gelu(x) over n elements. */
export function geluForward(x: Buf, y: Buf, n: number): Launch {
  positive('gelu_forward', { n });
  return { kernel: 'gelu_forward', bindings: [x, y], params: packParams([n]), threads: [n] };
}

/** dx = dy * gelu'(x) over n elements (x is the forward's input). */
export function geluBackward(x: Buf, dy: Buf, dx: Buf, n: number): Launch {
  positive('gelu_backward', { n });
  return { kernel: 'gelu_backward', bindings: [x, dy, dx], params: packParams([n]), threads: [n] };
}
