// Generation with a decoder exported with an explicit KV cache (tiny_gpt_kv):
// a prefill runs the prompt (past length 0), then each decode step runs one
// token per sequence against the cached keys and values.
//
// Batching: the graph has no attention mask, so a padded row would attend to
// its padding. A step therefore batches only sequences of equal cached length
// (and equal new-token count) into one run; a step over sequences of
// different lengths is one run per length group, each exact. A decoder
// exported with an attention bias input (GPT_PADDED=1) batches sequences of
// any lengths in one run instead (src/llm/padded.ts): one run for the step's
// decode tokens and one for its prefills, within the run workspace bound.
import { OutOfMemoryError } from '../core/errors.js';
import type { ModelStore, TensorData } from '../infer/store.js';
import { presentName, type KvCache } from './cache.js';
import { GenerateInputError } from './errors.js';
import { BIAS_INPUT, paddedInputs, planRuns } from './padded.js';
import { checkSampling, sampleToken, seededRandom, type SamplingOptions } from './sampling.js';

export interface StepEntry {
  seq: number;
  /** New tokens: the prompt at prefill, one token at a decode step. */
  tokens: number[];
}

export interface GenerateOptions extends SamplingOptions {
  /** Most new tokens (stop on length). */
  maxTokens: number;
  /** Stop after this token (it is included in the output). */
  endToken?: number;
}

export interface GenerateResult {
  tokens: number[];
  /** 'abort': the request's signal stopped it (batcher only). */
  stop: 'length' | 'end' | 'abort';
  /** Time to first token and times between tokens, ms. */
  ttftMs: number;
  tbtMs: number[];
}

export interface GeneratorOptions {
  vocab?: number;
  maxPositions?: number;
  /** Rows of one padded run (default 8). */
  maxBatch?: number;
  /** Padded rows x max(past, new) positions of one padded run (default maxBatch x maxPositions). */
  runPositions?: number;
}

export class Generator {
  readonly vocab: number;
  readonly maxPositions: number;
  /** Padded rows x max(past, new) positions one padded run may take (its workspace bound). */
  readonly runPositions: number;
  /** Rows one padded run may take. */
  readonly maxBatch: number;
  private nextSeq = 1;
  private padded: boolean | null = null;
  /** Called when a run's workspace does not fit; true: room was made, retry. */
  onOutOfMemory: ((e: OutOfMemoryError) => Promise<boolean>) | null = null;

  constructor(
    readonly store: ModelStore,
    readonly model: string,
    readonly cache: KvCache,
    opts: GeneratorOptions = {},
  ) {
    this.vocab = opts.vocab ?? 2048;
    this.maxPositions = opts.maxPositions ?? 512;
    this.maxBatch = opts.maxBatch ?? 8;
    this.runPositions = opts.runPositions ?? this.maxBatch * this.maxPositions;
  }

  /** Whether the decoder takes an attention bias (padded batching). */
  get isPadded(): boolean {
    this.padded ??= this.store.get(this.model)?.inputs.some((i) => i.name === BIAS_INPUT) ?? false;
    return this.padded;
  }

  /** A fresh sequence id (started in the cache). */
  open(): number {
    const id = this.nextSeq++;
    this.cache.start(id);
    return id;
  }

  checkPrompt(tokens: number[], maxTokens = 0): void {
    if (tokens.length === 0) throw new GenerateInputError('prompt', 'needs at least one token');
    const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= this.vocab);
    if (bad !== undefined) throw new GenerateInputError('prompt', `token ${bad} is outside the vocabulary [0, ${this.vocab})`);
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new GenerateInputError('maxTokens', `must be an integer >= 0, got ${maxTokens}`);
    if (tokens.length + maxTokens > this.maxPositions) throw new GenerateInputError('maxTokens', `prompt (${tokens.length}) + maxTokens (${maxTokens}) exceeds the model's ${this.maxPositions} positions`);
  }

  /**
   * One step over many sequences (prefill entries and decode entries may mix):
   * runs one graph per group of equal (cached length, new tokens), appends the
   * new keys and values, and returns each sequence's logits [T * vocab]
   * (a padded decoder: its last token's row [vocab] only).
   * Room is reserved for every entry before any run, so a cache that cannot
   * grow throws with nothing changed.
   */
  async step(entries: StepEntry[]): Promise<Map<number, Float32Array>> {
    for (const e of entries) this.cache.reserve(e.seq, e.tokens.length);
    if (this.isPadded) return this.paddedStep(entries);
    const groups = new Map<string, StepEntry[]>();
    for (const e of entries) {
      const key = `${this.cache.length(e.seq)}:${e.tokens.length}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const out = new Map<number, Float32Array>();
    for (const group of groups.values()) {
      const seqs = group.map((e) => e.seq);
      const T = group[0]!.tokens.length;
      const P = this.cache.length(seqs[0]!);
      const inputs: Record<string, TensorData> = {
        input_ids: { type: 'int64', dims: [seqs.length, T], data: BigInt64Array.from(group.flatMap((e) => e.tokens.map(BigInt))) },
        position_ids: { type: 'int64', dims: [seqs.length, T], data: BigInt64Array.from(group.flatMap(() => Array.from({ length: T }, (_, t) => BigInt(P + t)))) },
      };
      const res = await this.runGroup(inputs, seqs, { rows: seqs.length, P });
      const present: Record<string, TensorData> = {};
      for (let l = 0; l < this.cache.shape.layers; l++) for (const kv of ['k', 'v'] as const) present[presentName(kv, l)] = res[presentName(kv, l)]!;
      await this.cache.append(seqs, present, T);
      const logits = res.logits!.data as Float32Array;
      seqs.forEach((id, b) => out.set(id, logits.slice(b * T * this.vocab, (b + 1) * T * this.vocab)));
    }
    return out;
  }

  /** Padded batching: each sequence's logits are its last token's row [vocab]. */
  private async paddedStep(entries: StepEntry[]): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    const rows = entries.map((e) => ({ ...e, past: this.cache.length(e.seq) }));
    for (const run of planRuns(rows, this.maxBatch, this.runPositions)) {
      const seqs = run.entries.map((e) => e.seq);
      const res = await this.runGroup(paddedInputs(run), seqs, { rows: run.B, P: run.P });
      const present: Record<string, TensorData> = {};
      for (let l = 0; l < this.cache.shape.layers; l++) for (const kv of ['k', 'v'] as const) present[presentName(kv, l)] = res[presentName(kv, l)]!;
      // Row b's new tokens start where the run's new positions do (present_* may hold them alone, or after the padded past).
      const from = present[presentName('k', 0)]!.dims[2]! - run.T;
      await this.cache.append(seqs, present, run.entries.map((e) => e.tokens.length), from);
      const logits = res.logits!.data as Float32Array;
      seqs.forEach((id, b) => out.set(id, logits.slice(b * this.vocab, (b + 1) * this.vocab)));
    }
    return out;
  }

  /**
   * One graph run over `inputs` and the past of `seqs` (gathered on the GPU
   * where the cache can, else uploaded). A run's workspace that does not fit
   * (OutOfMemoryError at its allocation, before anything ran or was appended)
   * is retried while `onOutOfMemory` makes room (the batcher asks training).
   */
  private async runGroup(inputs: Record<string, TensorData>, seqs: number[], pad: { rows: number; P: number }): Promise<Record<string, TensorData>> {
    const host = this.cache.pastOn === 'device' && this.cache.devicePast ? null : await this.cache.past(seqs, pad);
    for (;;) {
      try {
        if (host) return await this.store.run(this.model, { ...inputs, ...host });
        return await this.store.run(this.model, inputs, { device: this.cache.devicePast!(seqs, pad) });
      } catch (e) {
        if (!(e instanceof OutOfMemoryError) || !this.onOutOfMemory || !(await this.onOutOfMemory(e))) throw e;
      }
    }
  }

  /** The last position's row of a step's logits. */
  lastRow(logits: Float32Array): Float32Array {
    return logits.subarray(logits.length - this.vocab);
  }

  /** Prefill, then one token per decode step until the length or the end token. */
  async generate(prompt: number[], opts: GenerateOptions): Promise<GenerateResult> {
    this.checkPrompt(prompt, opts.maxTokens);
    checkSampling(opts);
    const random = seededRandom(opts.seed ?? 0);
    const seq = this.open();
    const t0 = performance.now();
    const tokens: number[] = [];
    const tbtMs: number[] = [];
    let ttftMs = 0;
    let stop: GenerateResult['stop'] = 'length';
    try {
      let next = prompt;
      let last = t0;
      while (tokens.length < opts.maxTokens) {
        const logits = (await this.step([{ seq, tokens: next }])).get(seq)!;
        const tok = sampleToken(this.lastRow(logits), opts, random);
        const now = performance.now();
        if (tokens.length === 0) ttftMs = now - t0;
        else tbtMs.push(now - last);
        last = now;
        tokens.push(tok);
        if (tok === opts.endToken) {
          stop = 'end';
          break;
        }
        next = [tok];
      }
    } finally {
      await this.cache.end(seq);
    }
    return { tokens, stop, ttftMs, tbtMs };
  }
}
