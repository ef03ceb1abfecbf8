// A small, strict flag parser: unknown flags and bad values are errors that
// say what was expected, never silently ignored. Every number flag may carry
// its range (min, max, integer), checked here, before any device opens.
import { statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';

export interface FlagDef {
  type: 'string' | 'number' | 'boolean' | 'list';
  default?: unknown;
  help: string;
  /** number flags: smallest accepted value (inclusive unless `above`). */
  min?: number;
  /** number flags: the value must be strictly greater than `min`. */
  above?: boolean;
  /** number flags: largest accepted value (inclusive). */
  max?: number;
  /** number flags: only whole numbers. */
  int?: boolean;
  /** string flags: the accepted values. */
  choices?: readonly string[];
}

export interface FlagSpec {
  [name: string]: FlagDef;
}

export type Flags = Record<string, unknown>;

/** `--help` or `-h` was given: the caller prints the usage and exits 0. */
export class HelpRequest extends Error {
  override name = 'HelpRequest';
  constructor(readonly spec: FlagSpec) {
    super('help requested');
  }
}

/** A number flag that must be an integer of at least `min`; the error names the flag and the value. */
export function intFlag(flags: Flags, name: string, min = 1): number {
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < min)
    throw new UsageError(`--${name} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got ${flags[name]}`);
  return v;
}

/** The range a number flag accepts, in words: "an integer in 1..65536", "a number > 0". */
export function rangeText(s: FlagDef): string {
  const kind = s.int ? 'an integer' : 'a number';
  const lo = s.min === undefined ? '' : s.above ? `> ${s.min}` : `>= ${s.min}`;
  if (s.min !== undefined && s.max !== undefined) return s.above ? `${kind} ${lo} and <= ${s.max}` : `${kind} in ${s.min}..${s.max}`;
  if (s.max !== undefined) return `${kind} <= ${s.max}`;
  return lo ? `${kind} ${lo}` : kind;
}

function checkValue(name: string, s: FlagDef, v: unknown): void {
  if (s.type === 'number' && typeof v === 'number') {
    const bad = (s.int && !Number.isInteger(v)) || (s.min !== undefined && (s.above ? v <= s.min : v < s.min)) || (s.max !== undefined && v > s.max);
    if (bad) throw new UsageError(`--${name} must be ${rangeText(s)}, got ${v}`);
  }
  if (s.type === 'string' && s.choices && typeof v === 'string' && !s.choices.includes(v))
    throw new UsageError(`--${name} must be one of ${s.choices.join(', ')}; got '${v}'`);
}

export function parseFlags(argv: string[], spec: FlagSpec): { flags: Flags; rest: string[] } {
  if (argv.some((a) => a === '--help' || a === '-h')) throw new HelpRequest(spec);
  const flags: Flags = {};
  const rest: string[] = [];
  for (const [k, s] of Object.entries(spec)) flags[k] = s.type === 'list' ? [...((s.default as unknown[]) ?? [])] : s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name}; known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (s.type === 'boolean') {
      flags[name] = eq > 0 ? a.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value (${s.help})`);
    if (s.type === 'number') {
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be ${rangeText(s)}, got '${v}'`);
      flags[name] = n;
    } else if (s.type === 'list') (flags[name] as string[]).push(v);
    else flags[name] = v;
    checkValue(name, s, flags[name]);
  }
  return { flags, rest };
}

/** A file the command will read: it must exist and be a regular file (the error says which flag gave it). */
export function readableFile(path: string, what: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`${what} '${path}' does not exist; give the path of an existing file`);
  }
  if (!st.isFile()) throw new UsageError(`${what} '${path}' is ${st.isDirectory() ? 'a directory' : 'not a regular file'}; give the path of a file`);
  return path;
}

export function usage(cmd: string, spec: FlagSpec): string {
  const lines = Object.entries(spec)
    .filter(([k]) => k !== 'help')
    .map(([k, s]) => {
      const range = s.type === 'number' && (s.min !== undefined || s.max !== undefined) ? `; ${rangeText(s)}` : '';
      const choices = s.choices && !s.choices.every((c) => s.help.includes(c)) ? `; one of ${s.choices.join(', ')}` : '';
      const shown = s.default !== undefined && s.type !== 'boolean' && !(Array.isArray(s.default) && s.default.length === 0);
      const dflt = shown ? ` (default ${JSON.stringify(s.default)})` : '';
      return `  --${k}${s.type === 'boolean' ? '' : ' <' + s.type + '>'}  ${s.help}${range}${choices}${dflt}`;
    });
  return `usage: handover ${cmd}\n${lines.join('\n')}\n  --help  show this help`;
}

/** The largest arena a flag may ask for, in MiB (256 GiB: above any single GPU's memory today). */
export const ARENA_MB_MAX = 262_144;
