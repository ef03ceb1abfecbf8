// The LLM workload of the evaluation: trace requests (arrival time, prompt
// and output token counts, e.g. the Azure conversation trace) scaled down to
// the model's context, replayed against a continuous batch in wall-clock
// time, and summarised as TTFT and TBT percentiles and SLO compliance
// (SLO = a multiple of the standalone average).
import type { BatchResult, Batcher } from './batcher.js';
import { GenerateInputError } from './errors.js';
import type { Generator } from './generate.js';

export interface TraceRequest {
  /** Arrival, seconds from the trace start. */
  t: number;
  contextTokens: number;
  generatedTokens: number;
}

export interface LlmRequest {
  t: number;
  prompt: number[];
  maxTokens: number;
}

export interface Scaling {
  /** Token counts are multiplied by this (then rounded, at least 1). */
  factor: number;
  /** Context + generated tokens of the trace's quantile request (default P99), before scaling. */
  traceMaxTokens: number;
  maxContext: number;
  text: string;
}

/**
 * Scales every request's token counts by one factor so the `quantile` request
 * (context + generated) fits `maxContext` positions; longer ones are clipped
 * to fit. Prompts are seeded token ids.
 */
export function scaleRequests(trace: TraceRequest[], maxContext: number, opts: { vocab?: number; seed?: number; quantile?: number } = {}): { requests: LlmRequest[]; scaling: Scaling } {
  if (!(Number.isInteger(maxContext) && maxContext >= 2)) throw new GenerateInputError('maxContext', `must be an integer >= 2, got ${maxContext}`);
  const vocab = opts.vocab ?? 2048;
  // The quantile (default the P99 request) rather than the longest: one outlier would squash every request to a token or two.
  const q = opts.quantile ?? 0.99;
  const traceMax = Math.max(2, percentileOf(trace.map((r) => r.contextTokens + r.generatedTokens), q));
  const factor = Math.min(1, maxContext / traceMax);
  let a = (opts.seed ?? 1) >>> 0;
  const token = () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) >>> 8) % vocab;
  const requests = trace.map((r) => {
    const prompt = Math.max(1, Math.round(r.contextTokens * factor));
    const out = Math.max(1, Math.min(maxContext - prompt, Math.round(r.generatedTokens * factor)));
    return { t: r.t, prompt: Array.from({ length: Math.min(prompt, maxContext - 1) }, token), maxTokens: out };
  });
  const text = `token counts x${factor.toPrecision(3)} (P${Math.round(q * 100)} request ${traceMax} tokens -> ${maxContext} positions, longer ones clipped)`;
  return { requests, scaling: { factor, traceMaxTokens: traceMax, maxContext, text } };
}

export interface Percentiles {
  n: number;
  mean: number;
  p50: number;
  p99: number;
}

function percentileOf(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Nearest-rank percentiles. */
export function percentiles(xs: number[]): Percentiles {
  if (xs.length === 0) return { n: 0, mean: NaN, p50: NaN, p99: NaN };
  return { n: xs.length, mean: xs.reduce((x, y) => x + y, 0) / xs.length, p50: percentileOf(xs, 0.5), p99: percentileOf(xs, 0.99) };
}

export interface Slo {
  ttftMs: number;
  tbtMs: number;
}

/** The standalone averages of one request alone (the SLO is a multiple of these). */
export async function standalone(gen: Generator, prompt: number[], maxTokens: number, runs = 2): Promise<Slo> {
  const ttft: number[] = [];
  const tbt: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await gen.generate(prompt, { maxTokens });
    ttft.push(r.ttftMs);
    tbt.push(...r.tbtMs);
  }
  return { ttftMs: percentiles(ttft).mean, tbtMs: percentiles(tbt).mean };
}

export interface LlmReport {
  /** Requests that finished. */
  requests: number;
  /** Requests that failed (e.g. more KV blocks than the cache can ever hold). */
  failed: number;
  ttft: Percentiles;
  tbt: Percentiles;
  /** Fraction of requests whose TTFT met the SLO, and of token gaps whose TBT did. */
  ttftCompliance: number;
  tbtCompliance: number;
  tokensPerSec: number;
  wallS: number;
  slo: Slo;
  /** Every finished request's TTFT and every token gap, ms (CDFs). */
  samples: { ttftMs: number[]; tbtMs: number[] };
  /** Why requests failed: each distinct error message once. */
  errors: string[];
}

export interface ReplayOptions {
  timeScale?: number;
  /** Called as each request ends (finished or failed), e.g. for a progress bar. */
  onEnd?: (result: BatchResult | null, ended: number, total: number) => void;
}

/**
 * Submits each request at its arrival (seconds / timeScale from now) and waits
 * for all. A failed request counts as failed (and against TTFT compliance);
 * it does not stop the others.
 */
export async function replay(batcher: Batcher, requests: LlmRequest[], slo: Slo, opts: ReplayOptions = {}): Promise<LlmReport> {
  const scale = opts.timeScale ?? 1;
  const t0 = performance.now();
  let ended = 0;
  const errors = new Set<string>();
  const end = (r: BatchResult | null) => opts.onEnd?.(r, ++ended, requests.length);
  const results: Promise<BatchResult | null>[] = requests.map(
    (r) =>
      new Promise<BatchResult | null>((resolve) =>
        setTimeout(() => batcher.submit({ prompt: r.prompt, maxTokens: r.maxTokens }).then((x) => (end(x), resolve(x)), (e: unknown) => (errors.add(String((e as Error)?.message ?? e)), end(null), resolve(null))), (r.t / scale) * 1000),
      ),
  );
  const all = await Promise.all(results);
  const wallS = (performance.now() - t0) / 1000;
  const done = all.filter((r): r is BatchResult => r !== null);
  const ttfts = done.map((r) => r.ttftMs);
  const tbts = done.flatMap((r) => r.tbtMs);
  const tokens = done.reduce((n, r) => n + r.tokens.length, 0);
  return {
    requests: done.length,
    failed: all.length - done.length,
    ttft: percentiles(ttfts),
    tbt: percentiles(tbts),
    ttftCompliance: ttfts.filter((x) => x <= slo.ttftMs).length / Math.max(1, all.length),
    tbtCompliance: tbts.length === 0 ? 1 : tbts.filter((x) => x <= slo.tbtMs).length / tbts.length,
    tokensPerSec: tokens / wallS,
    wallS,
    slo,
    samples: { ttftMs: ttfts, tbtMs: tbts },
    errors: [...errors],
  };
}
