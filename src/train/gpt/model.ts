// The GPT as a training model, read like nanoGPT's model.py: token and
// position embeddings, N pre-LayerNorm blocks of causal self-attention and a
// GELU MLP with residuals, a final LayerNorm, the LM head tied to the token
// embedding, cross-entropy. Forward and backward are launch lists of the
// kernels in docs/gpt-kernels.md; the update is AdamW after global-norm
// clipping, all on the GPU.
import type { TrainAllocation } from '../../core/allocation.js';
import type { Bindable, GpuDevice, Launch } from '../../core/device.js';
import { UsageError } from '../../core/errors.js';
import { adamw } from '../../kernels/adamw.js';
import { attentionBackward, attentionForward } from '../../kernels/attention.js';
import { crossEntropyBackward, crossEntropyForward } from '../../kernels/cross-entropy.js';
import { axpy, biasAdd, fill } from '../../kernels/elementwise.js';
import { embeddingBackwardWpe, embeddingBackwardWte, embeddingForward, embeddingIndex } from '../../kernels/embedding.js';
import { geluBackward, geluForward } from '../../kernels/gelu.js';
import { clipSlots, gradClipScale, gradSumsq } from '../../kernels/grad-clip.js';
import { layernormBackward, layernormBackwardParams, layernormForward } from '../../kernels/layernorm.js';
import { matmul } from '../../kernels/matmul.js';
import { reduceRows } from '../../kernels/reduce-rows.js';
import type { ActivationMemory } from '../activation-memory.js';
import type { BoundMicroBatch, OptimizerBuffers, TrainingModel } from '../model.js';
import { gptActivationBytes, gptActivationPlan, gptActivationViews, type BlockActivations, type GptActivations } from './activations.js';
import { gptInitialParameters, gptLayout, type BlockTensors, type GptConfig, type GptHyper, type GptLayout, type Tensor } from './layout.js';
import { windows, type TokenDataset } from './text.js';

type Views<T> = { [K in keyof T]: Bindable };

/** One parameter-shaped allocation seen as the GPT's tensors. */
interface Weights {
  wte: Bindable;
  wpe: Bindable;
  blocks: Views<BlockTensors>[];
  lnfW: Bindable;
  lnfB: Bindable;
}

function weights(layout: GptLayout, a: TrainAllocation): Weights {
  const v = (t: Tensor) => a.view(t.at, t.size * 4);
  const block = (b: BlockTensors) => Object.fromEntries(Object.entries(b).map(([k, t]) => [k, v(t)])) as Views<BlockTensors>;
  return { wte: v(layout.wte), wpe: v(layout.wpe), blocks: layout.blocks.map(block), lnfW: v(layout.lnfW), lnfB: v(layout.lnfB) };
}

/** y [n, out] = x [n, in] W^T + bias, W [out, in] as torch.nn.Linear. */
function linear(x: Bindable, w: Bindable, bias: Bindable | null, y: Bindable, n: number, inF: number, outF: number): Launch[] {
  const out = [matmul({ a: x, b: w, c: y, m: n, n: outF, k: inF, transB: true })];
  if (bias) out.push(biasAdd(y, bias, n, outF));
  return out;
}

/** Linear's backward: dW = dy^T x and dbias = column sums of dy (overwritten); dx = dy W when asked. */
function linearBackward(dy: Bindable, x: Bindable, w: Bindable, dw: Bindable, dbias: Bindable | null, dx: Bindable | null, n: number, inF: number, outF: number): Launch[] {
  const out = [matmul({ a: dy, b: x, c: dw, m: outF, n: inF, k: n, transA: true })];
  if (dbias) out.push(reduceRows(dy, dbias, n, outF));
  if (dx) out.push(matmul({ a: dy, b: w, c: dx, m: n, n: inF, k: outF }));
  return out;
}

export class GptModel implements TrainingModel<TokenDataset> {
  readonly layout: GptLayout;
  readonly name: string;
  readonly optimizerStates = 2;

  constructor(
    readonly config: GptConfig,
    readonly hyper: GptHyper,
  ) {
    this.layout = gptLayout(config);
    const c = config;
    this.name = `GPT ${c.layers}x${c.width} (${c.heads} heads, context ${c.context}, vocab ${c.vocab}${c.recompute ? ', recompute' : ''})`;
  }

  get paramBytes(): number {
    return this.layout.bytes;
  }

  get paramCount(): number {
    return this.layout.count;
  }

  /** Partial sums of squares for the gradient norm, then [norm, coef]. */
  get scratchBytes(): number {
    return (clipSlots(this.paramBytes / 4) + 2) * 4;
  }

  initialParameters(seed: number): Float32Array {
    return gptInitialParameters(this.layout, seed);
  }

  activationBytes(b: number): number {
    return gptActivationBytes(this.config, b);
  }

  activationPlan(b: number): number[] {
    return gptActivationPlan(this.config, b);
  }

  samples(data: TokenDataset): number {
    return data.n;
  }

  bind(params: TrainAllocation, microGrad: TrainAllocation, acts: ActivationMemory, b: number): BoundMicroBatch<TokenDataset> {
    const cfg = this.config;
    const p = weights(this.layout, params);
    const g = weights(this.layout, microGrad);
    const act = gptActivationViews(cfg, b, acts);
    const T = cfg.context;
    let unique = 0; // distinct tokens of the uploaded micro-batch (the embedding backward's index)
    // The launch list is built once per (rows, scale) and reused: only the embedding backward's count of distinct
    // tokens changes between micro-batches. Building it (about 210 launches for 6 layers) held the host loop that
    // requests wait for some 0.4 ms each micro-batch (round 8).
    let built: { take: number; scale: number; launches: Launch[]; wte: number } | null = null;
    return {
      b,
      upload: (dev: GpuDevice, data: TokenDataset, batch: Uint32Array) => {
        if (data.context !== T || data.vocab > cfg.vocab) throw new UsageError(`${data.name} has context ${data.context} and vocab ${data.vocab}; the model has ${T} and ${cfg.vocab}`);
        const { inputs, targets } = windows(data, batch);
        const index = embeddingIndex(inputs);
        unique = index.unique;
        dev.write({ ...act.tokens.range(), bytes: inputs.byteLength }, inputs);
        dev.write({ ...act.targets.range(), bytes: targets.byteLength }, targets);
        dev.write({ ...act.order.range(), bytes: index.order.byteLength }, index.order);
        dev.write({ ...act.segments.range(), bytes: index.segments.byteLength }, index.segments);
      },
      forward: (take) => this.forward(p, act, take),
      gradient: (take, scale) => {
        if (built?.take !== take || built.scale !== scale) {
          const launches = [...this.forward(p, act, take), ...this.backward(p, g, act, take, scale, unique)];
          built = { take, scale, launches, wte: launches.findIndex((l) => l.kernel === 'embedding_backward_wte') };
        }
        const out = [...built.launches];
        out[built.wte] = this.wteBackward(g, act, unique);
        return out;
      },
      lossSum: (take, scale, acc) => reduceRows(act.loss, acc, take * T, 1, scale / T, 1),
      score: async (dev, _data, batch) => {
        const r = await dev.read({ ...act.loss.range(), bytes: batch.length * T * 4 });
        const loss = new Float32Array(r.buffer, r.byteOffset, batch.length * T).reduce((s, x) => s + x, 0);
        return { loss: loss / T, correct: null };
      },
    };
  }

  /** The block's activations: its own set, or the shared one when recomputing. */
  private saved(act: GptActivations, l: number): BlockActivations {
    return act.blocks[this.config.recompute ? 0 : l]!;
  }

  /** x_{l+1} = r + mlp(ln_2(r)), r = x_l + attn(ln_1(x_l)); `full` false stops before the last projection (recompute). */
  private block(w: Views<BlockTensors>, s: BlockActivations, x: Bindable, next: Bindable, b: number, full: boolean): Launch[] {
    const { width: C, context: T, heads: H } = this.config;
    const N = b * T;
    const out = [
      layernormForward(x, w.ln1w, w.ln1b, s.ln1, s.mean1, s.rstd1, N, C),
      ...linear(s.ln1, w.attnW, w.attnB, s.qkv, N, C, 3 * C),
      attentionForward(s.qkv, s.atty, s.lse, b, T, H, C / H),
      ...linear(s.atty, w.projW, w.projB, s.resid, N, C, C),
      axpy(x, s.resid, N * C),
      layernormForward(s.resid, w.ln2w, w.ln2b, s.ln2, s.mean2, s.rstd2, N, C),
      ...linear(s.ln2, w.fcW, w.fcB, s.fc, N, C, 4 * C),
      geluForward(s.fc, s.gelu, N * 4 * C),
    ];
    if (full) out.push(...linear(s.gelu, w.fcProjW, w.fcProjB, next, N, 4 * C, C), axpy(s.resid, next, N * C));
    return out;
  }

  private forward(p: Weights, act: GptActivations, b: number): Launch[] {
    const { layers: L, width: C, context: T, vocab: V } = this.config;
    const N = b * T;
    const x = act.stream;
    const out = [embeddingForward(act.tokens, p.wte, p.wpe, x[0]!, b, T, C, V)];
    for (let l = 0; l < L; l++) out.push(...this.block(p.blocks[l]!, this.saved(act, l), x[l]!, x[l + 1]!, b, true));
    out.push(
      layernormForward(x[L]!, p.lnfW, p.lnfB, act.lnf, act.meanf, act.rstdf, N, C),
      ...linear(act.lnf, p.wte, null, act.logits, N, C, V), // the LM head is wte (tied)
      crossEntropyForward(act.logits, act.targets, act.loss, act.lseLoss, N, V),
    );
    return out;
  }

  /**
   * Backward into the micro-batch gradient g (overwritten). Each sample's
   * loss is its tokens' mean, and `scale` is 1 / (samples in the effective
   * batch), so committed micro-batch gradients add up to the gradient of the
   * effective batch's mean loss.
   */
  private backward(p: Weights, g: Weights, act: GptActivations, b: number, scale: number, unique: number): Launch[] {
    const { layers: L, width: C, context: T, vocab: V, heads: H } = this.config;
    const N = b * T;
    const x = act.stream;
    const dx = act.dstream;
    const out = [
      crossEntropyBackward(act.logits, act.targets, act.lseLoss, N, V, scale / T), // logits now hold dlogits
      ...linearBackward(act.logits, act.lnf, p.wte, g.wte, null, act.dwide, N, C, V),
      layernormBackward(act.dwide, x[L]!, p.lnfW, act.meanf, act.rstdf, dx, N, C, false),
      layernormBackwardParams(act.dwide, x[L]!, act.meanf, act.rstdf, g.lnfW, g.lnfB, N, C, false),
    ];
    for (let l = L - 1; l >= 0; l--) {
      const w = p.blocks[l]!;
      const gw = g.blocks[l]!;
      const s = this.saved(act, l);
      if (this.config.recompute) out.push(...this.block(w, s, x[l]!, x[l + 1]!, b, false));
      out.push(
        // MLP: the GELU output's buffer takes its own gradient once c_proj's weight gradient has read it.
        ...linearBackward(dx, s.gelu, w.fcProjW, gw.fcProjW, gw.fcProjB, null, N, 4 * C, C),
        matmul({ a: dx, b: w.fcProjW, c: s.gelu, m: N, n: 4 * C, k: C }),
        geluBackward(s.fc, s.gelu, act.d4, N * 4 * C),
        ...linearBackward(act.d4, s.ln2, w.fcW, gw.fcW, gw.fcB, act.dwide, N, C, 4 * C),
        layernormBackward(act.dwide, s.resid, w.ln2w, s.mean2, s.rstd2, dx, N, C, true),
        layernormBackwardParams(act.dwide, s.resid, s.mean2, s.rstd2, gw.ln2w, gw.ln2b, N, C, false),
        // Attention.
        ...linearBackward(dx, s.atty, w.projW, gw.projW, gw.projB, act.dwide, N, C, C),
        ...attentionBackward(s.qkv, s.atty, act.dwide, s.lse, act.dqkv, act.delta, b, T, H, C / H),
        ...linearBackward(act.dqkv, s.ln1, w.attnW, gw.attnW, gw.attnB, act.dwide, N, C, 3 * C),
        layernormBackward(act.dwide, x[l]!, w.ln1w, s.mean1, s.rstd1, dx, N, C, true),
        layernormBackwardParams(act.dwide, x[l]!, s.mean1, s.rstd1, gw.ln1w, gw.ln1b, N, C, false),
      );
    }
    out.push(
      this.wteBackward(g, act, unique), // += onto the LM head's gradient
      fill(g.wpe, T * C, 0),
      embeddingBackwardWpe(dx, g.wpe, b, T, C),
    );
    return out;
  }

  /** The token embedding's backward over the uploaded index (`unique` distinct tokens). */
  private wteBackward(g: Weights, act: GptActivations, unique: number): Launch {
    const { width: C, vocab: V } = this.config;
    return embeddingBackwardWte(act.dstream, act.tokens, act.order, act.segments, g.wte, unique, C, V);
  }

  /** Global-norm clipping, then AdamW: decayed 2-D weights first, then the rest without decay. */
  update(buf: OptimizerBuffers, t: number): Launch[] {
    const h = this.hyper;
    const words = this.paramBytes / 4;
    const slots = clipSlots(words);
    const scratch = buf.scratch!;
    const partials = scratch.view(0, slots * 4);
    const clip = scratch.view(slots * 4, 8);
    const [m1, m2] = buf.states;
    const decay = this.layout.decayBytes;
    const part = (a: TrainAllocation, from: number, to: number) => a.view(from, to - from);
    const step = (from: number, to: number, weightDecay: number) =>
      adamw(part(buf.params, from, to), part(buf.grad, from, to), part(m1!, from, to), part(m2!, from, to), clip, (to - from) / 4,
        { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weightDecay }, t);
    const out = [gradSumsq(buf.grad, partials, words, 0), gradClipScale(partials, clip, slots, h.gradClip), step(0, decay, h.weightDecay)];
    if (decay < this.paramBytes) out.push(step(decay, this.paramBytes, 0));
    return out;
  }
}
