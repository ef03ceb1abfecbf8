// LayerNorm over the last dimension for training: forward saves mean and rstd,
// backward gives dx and the parameter gradients (docs/gpt-kernels.md).
import { packParams, type Launch } from '../core/device.js';
import { fitsU32, positive, type Buf } from './shape.js';

/** y = LayerNorm(x) gamma + beta over rows of x [n, c]; mean, rstd [n] saved. */
export function layernormForward(x: Buf, gamma: Buf, beta: Buf, y: Buf, mean: Buf, rstd: Buf, n: number, c: number, eps = 1e-5): Launch {
  positive('layernorm_forward', { n, c });
  fitsU32('layernorm_forward', 'x', n * c);
  return {
    kernel: 'layernorm_forward',
    bindings: [x, gamma, beta, y, mean, rstd],
    params: packParams([n, c, { f32: eps }]),
    threads: [n * 64],
  };
}

/** dx (+)= the input gradient of LayerNorm from dy [n, c]. */
export function layernormBackward(dy: Buf, x: Buf, gamma: Buf, mean: Buf, rstd: Buf, dx: Buf, n: number, c: number, accumulate: boolean): Launch {
  positive('layernorm_backward', { n, c });
  fitsU32('layernorm_backward', 'x', n * c);
  return {
    kernel: 'layernorm_backward',
    bindings: [dy, x, gamma, mean, rstd, dx],
    params: packParams([n, c, accumulate ? 1 : 0]),
    threads: [n * 64],
  };
}

/** dgamma, dbeta [c] (+)= the parameter gradients of LayerNorm from dy [n, c]. */
export function layernormBackwardParams(dy: Buf, x: Buf, mean: Buf, rstd: Buf, dgamma: Buf, dbeta: Buf, n: number, c: number, accumulate: boolean): Launch {
  positive('layernorm_backward_params', { n, c });
  fitsU32('layernorm_backward_params', 'x', n * c);
  return {
    kernel: 'layernorm_backward_params',
    bindings: [dy, x, mean, rstd, dgamma, dbeta],
    params: packParams([n, c, accumulate ? 1 : 0]),
    threads: [Math.ceil(c / 64) * 64, 4],
  };
}
