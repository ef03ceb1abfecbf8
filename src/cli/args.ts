// A small, strict flag parser: unknown flags and bad values are errors that
// say what was expected, never silently ignored.
import { UsageError } from '../core/errors.js';

export interface FlagSpec {
  [name: string]: { type: 'string' | 'number' | 'boolean' | 'list'; default?: unknown; help: string };
}

export type Flags = Record<string, unknown>;

/** A number flag that must be an integer of at least `min`; the error names the flag and the value. */
export function intFlag(flags: Flags, name: string, min = 1): number {
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < min)
    throw new UsageError(`--${name} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got ${flags[name]}`);
  return v;
}

export function parseFlags(argv: string[], spec: FlagSpec): { flags: Flags; rest: string[] } {
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
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
      flags[name] = n;
    } else if (s.type === 'list') (flags[name] as string[]).push(v);
    else flags[name] = v;
  }
  return { flags, rest };
}

export function usage(cmd: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ' <' + s.type + '>'}  ${s.help}${s.default !== undefined ? ` (default ${JSON.stringify(s.default)})` : ''}`);
  return `usage: handover ${cmd}\n${lines.join('\n')}`;
}
