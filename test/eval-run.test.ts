// `handover run` end to end on the real device (SwiftShader without a GPU):
// every system plays a short BURST trace on tiny models, the report's JSON
// has every field, and the HTML page has one svg per plot.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { SYSTEM_NAMES } from '../src/sched/systems.js';

/** stdout's lines (with --json, the JSON object last) and stderr's (with --json, the run's log). */
function captureStdout(): { lines: string[]; errors: string[]; restore(): void } {
  const [lines, errors]: string[][] = [[], []];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => lines.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => errors.push(a.map(String).join(' '));
  return { lines, errors, restore: () => ((console.log = log), (console.error = error)) };
}

describe('handover run', () => {
  it('runs every system on a short BURST trace and writes report.json and report.html', async () => {
    const out = mkdtempSync(join(tmpdir(), 'handover-run-'));
    const cap = captureStdout();
    let code: number;
    try {
      code = await run([
        'run', '--trace', 'burst', '--systems', SYSTEM_NAMES.join(','), '--duration', '2', '--time-scale', '0.25',
        '--models', '4', '--arch', '64-64-10', '--arch', '64-96-10', '--train-layers', '64-64-10', '--micro-batch', '64',
        '--arena-pages', '48', '--page-kib', '16', '--t-idle-ms', '300', '--watermark-kib', '32', '--warmup', 'none', '--out', out, '--json',
      ]);
    } finally {
      cap.restore();
    }
    expect(code).toBe(0);
    // The --json object: `device` and `backend` first (as in every command), then the headline keyed by system.
    const { device, backend, ...last } = JSON.parse(cap.lines[cap.lines.length - 1]!) as Record<string, Record<string, number>>;
    expect(typeof device).toBe('string');
    expect(typeof backend).toBe('string');
    expect(Object.keys(last).sort()).toEqual([...SYSTEM_NAMES].sort());
    for (const s of SYSTEM_NAMES) {
      for (const k of ['sloCompliance', 'p99Ms', 'trainSamplesPerSec']) expect(typeof last[s]![k], `${s}.${k}`).toBe('number');
      expect(last[s]!.sloCompliance).toBeGreaterThanOrEqual(0);
      expect(last[s]!.sloCompliance).toBeLessThanOrEqual(1);
    }
    expect(last['infer-only']!.trainSamplesPerSec).toBe(0);
    expect(last.handover!.trainSamplesPerSec).toBeGreaterThan(0);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (const k of ['date', 'device', 'trace', 'seed', 'durationS', 'requests', 'architectures', 'arenaBytes', 'tuned', 'command']) expect(report.meta, k).toHaveProperty(k);
    expect(report.meta.tuned).toMatchObject({ tIdleMs: 300, watermarkBytes: 32 * 1024 });
    for (const s of SYSTEM_NAMES) {
      const r = report.systems[s];
      for (const k of ['requests', 'failed', 'sloCompliance', 'p50Ms', 'p99Ms', 'coldStartRatio', 'trainSamples', 'trainSamplesPerSec', 'wastedTrainS', 'handovers', 'predictedCompliance', 'complianceGapPts', 'latenciesMs', 'sloMs', 'memory', 'marks'])
        expect(r, `${s}.${k}`).toHaveProperty(k);
      for (const k of ['count', 'requires', 'releases', 'closeMs', 'discardMs', 'reclaimMs', 'totalMs', 'waitForBatchMs']) expect(r.handovers, `${s}.handovers.${k}`).toHaveProperty(k);
      expect(r.requests).toBe(report.meta.requests);
      expect(r.failed).toBe(0);
      expect(r.latenciesMs).toHaveLength(r.requests);
      // The exact misses behind the compliance (paired.ts compares systems request by request with them).
      expect(1 - r.missedIndices.length / r.requests).toBeCloseTo(r.sloCompliance, 12);
      expect(r.memory.length).toBeGreaterThan(3);
      // What else the host did during the run (host-load.ts): measured on Linux, said to be unmeasured elsewhere.
      if (existsSync('/proc/stat')) expect(r.hostLoad.ownCores, `${s}.hostLoad`).toBeGreaterThan(0);
      else expect(r.hostLoad).toBeNull();
      const m = r.memory[0];
      expect(m.trainBytes + m.inferBytes + m.freeBytes).toBe(report.meta.arenaBytes);
    }
    // Training ran beside inference, and the handover system handed memory over at least once (no warm-up: its first touches are measured).
    expect(cap.errors.filter((l) => /^\s*host CPU: (other processes \d+\.\d\d cores|not measured)/.test(l))).toHaveLength(SYSTEM_NAMES.length);
    expect(report.systems.handover.handovers.requires).toBeGreaterThanOrEqual(1);
    expect(report.systems.handover.handovers.totalMs).not.toBeNull();

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link /);
    for (const id of ['plot-latency-cdf', 'plot-compliance', 'plot-throughput', ...SYSTEM_NAMES.map((_, i) => `plot-memory-${i}`)]) expect(html).toContain(`<svg id="${id}"`);
    expect(html).toContain('<table>');
    // Under the verdict: handover against each other system, with the interval of the paired difference.
    const spread = /<p id="spread"[^>]*>(.*?)<\/p>/.exec(html)![1]!.split('<br>');
    expect(spread.filter((l) => l.startsWith('handover vs '))).toHaveLength(SYSTEM_NAMES.length - 1);
    for (const l of spread.slice(0, -1)) expect(l).toMatch(/pts SLO compliance \(95% interval [+−]\d+\.\d\.\.[+−]\d+\.\d over \d+ runs of 100 consecutive requests: /);
  }, 90_000);
});
