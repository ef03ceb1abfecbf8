// The flag parser's integer check, shared by every command.
import { describe, expect, it } from 'vitest';
import { intFlag, parseFlags } from '../src/cli/args.js';
import { UsageError } from '../src/core/errors.js';

describe('intFlag', () => {
  const spec = { n: { type: 'number' as const, help: 'n' }, k: { type: 'number' as const, default: 3, help: 'k' } };
  it('returns integers at or above the minimum and names the flag and value otherwise', () => {
    const { flags } = parseFlags(['--n', '7'], spec);
    expect(intFlag(flags, 'n')).toBe(7);
    expect(intFlag(flags, 'k', 3)).toBe(3);
    for (const [argv, min, msg] of [
      [['--n', '0'], 1, '--n must be a positive integer, got 0'],
      [['--n', '2.5'], 1, '--n must be a positive integer, got 2.5'],
      [['--n', '-2'], -1, '--n must be an integer >= -1, got -2'],
    ] as const) {
      const { flags: f } = parseFlags([...argv], spec);
      expect(() => intFlag(f, 'n', min)).toThrow(UsageError);
      expect(() => intFlag(f, 'n', min)).toThrow(msg);
    }
    expect(() => intFlag(parseFlags([], spec).flags, 'n')).toThrow('--n must be a positive integer, got undefined');
  });
});
