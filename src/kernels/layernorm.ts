// LayerNorm over the last dimension for training: forward saves mean and rstd,
// backward gives dx and the parameter gradients (docs/gpt-kernels.md).
import { packParams, type KernelName, type Launch } from '../core/device.js';
import { fitsU32, positive, type Buf } from './shape.js';

/** A launch over the rows of an [n, c] tensor: one 64-wide workgroup per row, or (byColumn) 64 columns x 4 row lanes. */
function rowsLaunch(kernel: KernelName, bindings: Buf[], n: number, c: number, last: number | { f32: number }, byColumn = false): Launch {
  positive(kernel, { n, c });
  fitsU32(kernel, 'x', n * c);
  return { kernel, bindings, params: packParams([n, c, last]), threads: byColumn ? [Math.ceil(c / 64) * 64, 4] : [n * 64] };
}

/** y = LayerNorm(x) gamma + beta over rows of x [n, c]; mean, rstd [n] saved. */
export function layernormForward(x: Buf, gamma: Buf, beta: Buf, y: Buf, mean: Buf, rstd: Buf, n: number, c: number, eps = 1e-5): Launch {
  return rowsLaunch('layernorm_forward', [x, gamma, beta, y, mean, rstd], n, c, { f32: eps });
}

/** dx (+)= the input gradient of LayerNorm from dy [n, c]. */
export function layernormBackward(dy: Buf, x: Buf, gamma: Buf, mean: Buf, rstd: Buf, dx: Buf, n: number, c: number, accumulate: boolean): Launch {
  return rowsLaunch('layernorm_backward', [dy, x, gamma, mean, rstd, dx], n, c, accumulate ? 1 : 0);
}

/** dgamma, dbeta [c] (+)= the parameter gradients of LayerNorm from dy [n, c]. */
export function layernormBackwardParams(dy: Buf, x: Buf, mean: Buf, rstd: Buf, dgamma: Buf, dbeta: Buf, n: number, c: number, accumulate: boolean): Launch {
  return rowsLaunch('layernorm_backward_params', [dy, x, mean, rstd, dgamma, dbeta], n, c, accumulate ? 1 : 0, true);
}
