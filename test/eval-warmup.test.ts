// The warm-up before each system's measured window: the touch order (models
// the trace asks for first are touched last), and `handover run --warmup
// touch` end to end on the test device: the warm-up's requests and loads are
// reported apart, and Infer-Only (which holds every model) then measures no
// cold start, where without the warm-up its first touches are cold starts.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { touchOrder } from '../src/eval/warmup.js';
import { warmupLine } from '../src/eval/evaluation.js';

describe('warm-up touch order', () => {
  it('touches models the trace never asks for first, then by latest first arrival', () => {
    const names = ['m0', 'm1', 'm2', 'm3', 'm4'];
    // arrival model k is name k mod 5: 7 -> m2
    const arrivals = [{ t: 0.1, model: 3 }, { t: 0.2, model: 7 }, { t: 0.3, model: 3 }, { t: 0.5, model: 0 }, { t: 0.9, model: 2 }];
    expect(touchOrder({ arrivals }, names)).toEqual(['m1', 'm4', 'm0', 'm2', 'm3']);
    expect(touchOrder({ arrivals: [] }, names)).toEqual(names);
  });

  it('says what the warm-up did in the log line', () => {
    expect(warmupLine(null)).toBe('');
    expect(warmupLine({ requests: 4, coldStarts: 3, failed: 0, loads: 3, loadP50Ms: 1.25, loadMaxMs: 4, touchS: 0.5, settleS: 0.25 })).toBe(
      '; warm-up (not measured): 4 requests (3 cold, 3 loads P50/max 1.3/4.0 ms) in 0.5 s + 0.3 s settling',
    );
  });
});

async function runJson(args: string[]): Promise<Record<string, any>> {
  const out = mkdtempSync(join(tmpdir(), 'handover-warmup-'));
  const log = console.log;
  console.log = () => {};
  try {
    expect(await run(['run', ...args, '--out', out, '--json'])).toBe(0);
  } finally {
    console.log = log;
  }
  return { ...JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), scaleMd: readFileSync(join(out, 'scale-report.md'), 'utf8') };
}

describe('handover run --warmup', () => {
  const common = [
    '--trace', 'burst', '--systems', 'infer-only,handover', '--duration', '2', '--time-scale', '3', '--seed', '3',
    '--models', '6', '--arch', '64-64-10', '--arch', '64-96-10', '--train-layers', '64-64-10', '--micro-batch', '64',
    '--arena-pages', '48', '--page-kib', '16', '--t-idle-ms', '300', '--watermark-kib', '32',
  ];

  it('touches every model before the measured window and reports it apart', async () => {
    const warm = await runJson([...common, '--warmup', 'touch', '--warmup-settle-ms', '400']);
    const cold = await runJson([...common, '--warmup', 'none']);
    for (const s of ['infer-only', 'handover']) {
      const w = warm.systems[s].warmup;
      expect(w, s).toMatchObject({ requests: 6, failed: 0 });
      expect(w.coldStarts, s).toBe(6); // the testbed starts with every model cold
      expect(w.loads, s).toBe(6);
      expect(w.settleS, s).toBeGreaterThanOrEqual(0.39);
      expect(warm.systems[s].requests, s).toBe(warm.meta.requests); // the measured window is the whole trace
      expect(cold.systems[s].warmup ?? null, s).toBeNull();
    }
    // Infer-Only holds every model: after the warm-up nothing it serves is a cold start; without it, first touches are.
    expect(warm.systems['infer-only'].coldStartRatio).toBe(0);
    expect(cold.systems['infer-only'].coldStartRatio).toBeGreaterThan(0);
    // The scale report has the measured cold share and the warm-up beside it.
    expect(warm.scaleMd).toContain('| cold | warm-up: cold / loads p50, max ms |');
    expect(warm.scaleMd).toMatch(/\| 0\.0% \| 6 of 6 \/ 6 loads [0-9.]+, [0-9.]+ \|/);
    expect(cold.scaleMd).toMatch(/\| [0-9.]+% \| – \|/);
  }, 120_000);
});
