import { packParams, type Bindable, type Launch, type Range } from '../core/device.js';

type Buf = Range | Bindable;

/** out[j] = beta * out[j] + alpha * sum over rows of x [m, n]. */
export function reduceRows(x: Buf, out: Buf, m: number, n: number, alpha = 1, beta = 0): Launch {
  return {
    kernel: 'reduce_rows',
    bindings: [x, out],
    params: packParams([m, n, { f32: alpha }, { f32: beta }]),
    threads: [Math.ceil(n / 64) * 64, 4],
  };
}
