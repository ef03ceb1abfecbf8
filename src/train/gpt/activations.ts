// A GPT micro-batch's activation allocation, laid out for b samples of T
// tokens (N = b T rows): inputs, the residual stream x_0 .. x_L, each
// block's saved tensors (one shared set when blocks are recomputed), the
// head, and the backward scratch. activationBytes is exact: it is the sum
// of the views below, each 256-byte aligned, as the trainer allocates them.
import type { Bindable } from '../../core/device.js';
import type { ActivationMemory } from '../activation-memory.js';
import { align256 } from '../mlp.js';
import type { GptConfig } from './layout.js';

/** What one block's forward writes and its backward reads. */
export interface BlockActivations {
  ln1: Bindable; mean1: Bindable; rstd1: Bindable; qkv: Bindable; atty: Bindable; lse: Bindable;
  /** The residual stream after attention: x + attn(ln_1(x)). */
  resid: Bindable;
  ln2: Bindable; mean2: Bindable; rstd2: Bindable;
  /** c_fc's output (GELU's input) and GELU's output (its gradient in backward). */
  fc: Bindable; gelu: Bindable;
}

export interface GptActivations {
  b: number;
  tokens: Bindable; targets: Bindable; order: Bindable; segments: Bindable;
  /** x_0 (embeddings) .. x_L (the last block's output). */
  stream: Bindable[];
  /** L sets, or one shared set when recomputing. */
  blocks: BlockActivations[];
  lnf: Bindable; meanf: Bindable; rstdf: Bindable;
  /** Logits [N, V], overwritten in place by their gradient in backward. */
  logits: Bindable; loss: Bindable; lseLoss: Bindable;
  /** Backward: the residual stream's gradient, a [N, C] and a [N, 4C] scratch, dqkv, and attention's delta. */
  dstream: Bindable; dwide: Bindable; d4: Bindable; dqkv: Bindable; delta: Bindable;
}

type Plan = [name: string, bytes: number][];

function blockPlan(c: GptConfig, N: number, b: number, i: number): Plan {
  const C = c.width;
  const at = `block${i}.`;
  return [
    [`${at}ln1`, N * C], [`${at}mean1`, N], [`${at}rstd1`, N], [`${at}qkv`, N * 3 * C], [`${at}atty`, N * C], [`${at}lse`, b * c.heads * c.context],
    [`${at}resid`, N * C], [`${at}ln2`, N * C], [`${at}mean2`, N], [`${at}rstd2`, N], [`${at}fc`, N * 4 * C], [`${at}gelu`, N * 4 * C],
  ].map(([n, e]) => [n as string, (e as number) * 4]);
}

/** The views of a micro-batch of b samples, in allocation order, as [name, bytes]. */
function plan(c: GptConfig, b: number): Plan {
  const N = b * c.context;
  const C = c.width;
  const f = (name: string, elements: number): [string, number] => [name, elements * 4];
  return [
    f('tokens', N), f('targets', N), f('order', N), f('segments', N + 1),
    ...Array.from({ length: c.layers + 1 }, (_, l) => f(`x${l}`, N * C)),
    ...Array.from({ length: c.recompute ? 1 : c.layers }, (_, i) => blockPlan(c, N, b, i)).flat(),
    f('lnf', N * C), f('meanf', N), f('rstdf', N), f('logits', N * c.vocab), f('loss', N), f('lseLoss', N),
    f('dstream', N * C), f('dwide', N * C), f('d4', N * 4 * C), f('dqkv', N * 3 * C), f('delta', b * c.heads * c.context),
  ];
}

/** The byte sizes of the views, in allocation order. */
export function gptActivationPlan(c: GptConfig, b: number): number[] {
  return plan(c, b).map(([, n]) => n);
}

/** Exact bytes of the activation allocation for b samples (with its alignment padding). */
export function gptActivationBytes(c: GptConfig, b: number): number {
  return plan(c, b).reduce((s, [, n]) => s + align256(n), 0);
}

export function gptActivationViews(c: GptConfig, b: number, a: ActivationMemory): GptActivations {
  const v = new Map<string, Bindable>();
  let at = 0;
  for (const [name, bytes] of plan(c, b)) {
    v.set(name, a.view(at, bytes));
    at += align256(bytes);
  }
  const g = (name: string) => v.get(name)!;
  const block = (i: number): BlockActivations => ({
    ln1: g(`block${i}.ln1`), mean1: g(`block${i}.mean1`), rstd1: g(`block${i}.rstd1`), qkv: g(`block${i}.qkv`), atty: g(`block${i}.atty`),
    lse: g(`block${i}.lse`), resid: g(`block${i}.resid`), ln2: g(`block${i}.ln2`), mean2: g(`block${i}.mean2`), rstd2: g(`block${i}.rstd2`),
    fc: g(`block${i}.fc`), gelu: g(`block${i}.gelu`),
  });
  return {
    b, tokens: g('tokens'), targets: g('targets'), order: g('order'), segments: g('segments'),
    stream: Array.from({ length: c.layers + 1 }, (_, l) => g(`x${l}`)),
    blocks: Array.from({ length: c.recompute ? 1 : c.layers }, (_, i) => block(i)),
    lnf: g('lnf'), meanf: g('meanf'), rstdf: g('rstdf'), logits: g('logits'), loss: g('loss'), lseLoss: g('lseLoss'),
    dstream: g('dstream'), dwide: g('dwide'), d4: g('d4'), dqkv: g('dqkv'), delta: g('delta'),
  };
}
