// `handover tune`: the chosen (T_idle, W) and the predicted compliance, as one JSON line.
import { describe, expect, it, vi } from 'vitest';
import { tuneCommand } from '../src/cli/tune-cmd.js';
import { UsageError } from '../src/core/errors.js';

async function runJson(argv: string[]): Promise<Record<string, unknown>> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void lines.push(String(s)));
  try {
    expect(await tuneCommand([...argv, '--json'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(lines.at(-1)!);
}

describe('handover tune', () => {
  it('prints the chosen configuration and its predicted compliance for BURST', async () => {
    const out = await runJson(['--trace', 'burst', '--exec-ms', '2', '--load-ms', '50', '--models', '8', '--slo-target', '0.9']);
    expect(out).toMatchObject({ trace: 'burst', met: true, sloMs: 8 });
    for (const k of ['tIdleS', 'watermarkBytes', 'predictedCompliance', 'simulatedCompliance', 'truncationMass', 'inferenceBytes']) expect(typeof out[k]).toBe('number');
    expect(out.predictedCompliance as number).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs((out.predictedCompliance as number) - (out.simulatedCompliance as number))).toBeLessThan(0.02);
  });

  it('refuses an unknown trace with a usage error', async () => {
    await expect(tuneCommand(['--trace', 'nope'])).rejects.toBeInstanceOf(UsageError);
  });
});
