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

describe('flag ranges, choices and --help', () => {
  const spec = {
    n: { type: 'number' as const, help: 'n', int: true, min: 1, max: 10 },
    r: { type: 'number' as const, help: 'r', min: 0, above: true, max: 1 },
    k: { type: 'string' as const, help: 'k', choices: ['a', 'b'] },
  };
  it('accepts values inside the range and names flag, range and value outside it', async () => {
    const { HelpRequest } = await import('../src/cli/args.js');
    expect(parseFlags(['--n', '10', '--r', '1', '--k', 'b'], spec).flags).toMatchObject({ n: 10, r: 1, k: 'b' });
    for (const [argv, msg] of [
      [['--n', '11'], '--n must be an integer in 1..10, got 11'],
      [['--n', '2.5'], '--n must be an integer in 1..10, got 2.5'],
      [['--n', '1e9'], '--n must be an integer in 1..10, got 1000000000'],
      [['--r', '0'], '--r must be a number > 0 and <= 1, got 0'],
      [['--r', ''], "--r must be a number > 0 and <= 1, got ''"],
      [['--k', 'c'], "--k must be one of a, b; got 'c'"],
    ] as const) expect(() => parseFlags([...argv], spec), argv.join(' ')).toThrow(msg);
    expect(() => parseFlags(['--n', '99', '--help'], spec)).toThrow(HelpRequest); // --help wins over bad values
  });
});
