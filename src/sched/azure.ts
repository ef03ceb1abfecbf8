// The Azure LLM inference trace (2023, conversation) played as arrivals. The
// file comes from a public repository and is read by path only: it is never
// copied into this package. The default looks in ../shared/data next to the
// package root; `--trace-file PATH` overrides.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { SchedParameterError, TraceFileError } from './errors.js';
import { Rng } from './rng.js';
import type { Arrival, Trace } from './traces.js';

export const AZURE_FILE = 'azure-llm-inference-2023-conv.csv.gz';

/** The directory holding package.json of this package. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new TraceFileError(fileURLToPath(import.meta.url), 'no package.json above this module');
    dir = up;
  }
}

export function defaultAzurePath(): string {
  return resolve(packageRoot(), '..', 'shared', 'data', AZURE_FILE);
}

export interface AzureArrival extends Arrival {
  contextTokens: number;
  generatedTokens: number;
}

export interface AzureTrace extends Trace {
  arrivals: AzureArrival[];
  path: string;
}

export interface AzureOptions {
  path?: string;
  /** > 1 compresses time (the design compresses 1 min to 5 s: 12). */
  timeScale?: number;
  /** Keep only the first `durationS` seconds of the (unscaled) trace. */
  durationS?: number;
  models?: number;
  seed?: number;
  intervalS?: number;
}

/** Seconds since the epoch of 'YYYY-MM-DD HH:MM:SS.fffffff' (UTC, full fraction kept). */
export function parseTimestamp(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(s.trim());
  if (!m) return NaN;
  const whole = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  return whole + (m[7] ? Number('0.' + m[7]) : 0);
}

export function loadAzureTrace(opts: AzureOptions = {}): AzureTrace {
  const path = resolve(opts.path ?? defaultAzurePath());
  const timeScale = opts.timeScale ?? 1;
  const models = opts.models ?? 1;
  const intervalS = opts.intervalS ?? 20;
  if (!(timeScale > 0)) throw new SchedParameterError('timeScale', timeScale, 'a positive factor');
  if (!Number.isInteger(models) || models < 1) throw new SchedParameterError('models', models, 'a positive integer');
  if (!existsSync(path)) {
    throw new TraceFileError(path, `not found. The Azure LLM trace is read by path, never copied into the project; put ${AZURE_FILE} there or pass --trace-file PATH`);
  }
  let text: string;
  try {
    const raw = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (e) {
    throw new TraceFileError(path, `cannot read: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const iT = header.indexOf('TIMESTAMP');
  const iC = header.indexOf('ContextTokens');
  const iG = header.indexOf('GeneratedTokens');
  if (iT < 0 || iC < 0 || iG < 0) throw new TraceFileError(path, `expected columns TIMESTAMP, ContextTokens, GeneratedTokens; got ${header.join(', ')}`);
  const rng = new Rng(opts.seed ?? 1);
  const rows: { ts: number; c: number; g: number }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const f = line.split(',');
    const ts = parseTimestamp(f[iT] ?? '');
    if (!Number.isFinite(ts)) throw new TraceFileError(path, `line ${i + 1}: bad TIMESTAMP '${f[iT]}'`);
    rows.push({ ts, c: Number(f[iC]), g: Number(f[iG]) });
  }
  if (rows.length === 0) throw new TraceFileError(path, 'no requests');
  rows.sort((a, b) => a.ts - b.ts);
  const t0 = rows[0]!.ts;
  const limit = opts.durationS ?? Infinity;
  const arrivals: AzureArrival[] = [];
  for (const r of rows) {
    const t = r.ts - t0;
    if (t >= limit) break;
    arrivals.push({ t: t / timeScale, model: models > 1 ? rng.int(models) : 0, contextTokens: r.c, generatedTokens: r.g });
  }
  const spanS = Math.min(limit, rows[rows.length - 1]!.ts - t0 + 1e-6);
  const durationS = spanS / timeScale;
  const iS = intervalS / timeScale;
  const rates = new Array<number>(Math.max(1, Math.ceil(durationS / iS))).fill(0);
  for (const a of arrivals) rates[Math.min(rates.length - 1, Math.floor(a.t / iS))]! += 1 / iS;
  return { name: 'azure', path, durationS, intervalS: iS, models, timeScale, rates, regimes: [], arrivals };
}
