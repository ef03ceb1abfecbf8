// Request traces: the design's seeded generators (LIGHT, HEAVY, BURST,
// SKEWED) and the Azure LLM trace player (read by path, never copied).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultAzurePath, loadAzureTrace, parseTimestamp } from '../src/sched/azure.js';
import { SchedParameterError, TraceFileError } from '../src/sched/errors.js';
import { zipfTable } from '../src/sched/rng.js';
import { BURST_LIGHT_SHARE, drawRates, expectedRate, generateTrace, observedRate, playTrace, rateVariance, TRACE_KINDS, ZIPF_EXPONENT } from '../src/sched/traces.js';

describe('generated traces', () => {
  it('are deterministic for a seed and differ across seeds', () => {
    for (const kind of TRACE_KINDS) {
      const a = generateTrace({ kind, seed: 42, models: 8 });
      const b = generateTrace({ kind, seed: 42, models: 8 });
      const c = generateTrace({ kind, seed: 43, models: 8 });
      expect(b).toEqual(a);
      expect(c.arrivals).not.toEqual(a.arrivals);
      expect(a.rates).toHaveLength(15); // 300 s in 20 s intervals
      expect(a.arrivals.every((x, i) => i === 0 || x.t >= a.arrivals[i - 1]!.t)).toBe(true);
    }
  });

  it('per-interval rates have the design means (LogNormal; BURST = 70% LIGHT / 30% HEAVY) within sampling error', () => {
    const n = 20_000;
    const rows: string[] = [];
    for (const kind of TRACE_KINDS) {
      const { rates, regimes } = drawRates(kind, n, 9);
      const mean = rates.reduce((x, y) => x + y, 0) / n;
      const se = Math.sqrt(rateVariance(kind) / n);
      rows.push(`${kind}: mean ${mean.toFixed(2)} req/s, expected ${expectedRate(kind).toFixed(2)} +- ${se.toFixed(2)}`);
      expect(Math.abs(mean - expectedRate(kind))).toBeLessThan(4 * se);
      if (kind === 'burst' || kind === 'skewed') {
        const light = regimes.filter((r) => r === 'light').length / n;
        expect(Math.abs(light - BURST_LIGHT_SHARE)).toBeLessThan(4 * Math.sqrt(0.21 / n));
      }
    }
    // The design quotes ~3.4 / ~98 / ~30 req/s: single 300 s draws around these means (4.48 / 94.6 / 31.5).
    expect(expectedRate('heavy')).toBeGreaterThan(90);
    expect(expectedRate('burst')).toBeGreaterThan(28);
    expect(expectedRate('burst')).toBeLessThan(34);
    console.log(rows.join('\n'));
  });

  it('arrivals are Poisson within each interval: counts match the drawn rates', () => {
    const t = generateTrace({ kind: 'light', seed: 5, durationS: 20 * 2000 });
    const expected = t.rates.reduce((s, r) => s + r * t.intervalS, 0);
    expect(Math.abs(t.arrivals.length - expected)).toBeLessThan(4 * Math.sqrt(expected));
    // Inter-arrival gaps within one busy interval: mean 1/rate, coefficient of variation ~1.
    const i = t.rates.indexOf(Math.max(...t.rates));
    const inI = t.arrivals.filter((a) => a.t >= i * t.intervalS && a.t < (i + 1) * t.intervalS).map((a) => a.t);
    const gaps = inI.slice(1).map((x, k) => x - inI[k]!);
    const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / gaps.length);
    expect(Math.abs(m * t.rates[i]! - 1)).toBeLessThan(0.15);
    expect(Math.abs(sd / m - 1)).toBeLessThan(0.15);
  });

  it('model choice is uniform, or Zipf(1.05) for SKEWED', () => {
    const N = 8;
    const uni = generateTrace({ kind: 'burst', seed: 1, models: N, durationS: 3000 });
    const sk = generateTrace({ kind: 'skewed', seed: 1, models: N, durationS: 3000 });
    const share = (tr: typeof uni, m: number) => tr.arrivals.filter((a) => a.model === m).length / tr.arrivals.length;
    for (let m = 0; m < N; m++) expect(Math.abs(share(uni, m) - 1 / N)).toBeLessThan(0.01);
    const z = zipfTable(N, ZIPF_EXPONENT);
    expect(Math.abs(share(sk, 0) - z[0]!)).toBeLessThan(0.01);
    expect(Math.abs(share(sk, N - 1) - (1 - z[N - 2]!))).toBeLessThan(0.01);
    expect(sk.rates).toEqual(uni.rates); // SKEWED = BURST rates
  });

  it('a time scale compresses the trace: same requests, times divided, rates multiplied', () => {
    const a = generateTrace({ kind: 'burst', seed: 3 });
    const b = generateTrace({ kind: 'burst', seed: 3, timeScale: 12 });
    expect(b.arrivals.length).toBe(a.arrivals.length);
    expect(b.durationS).toBeCloseTo(25, 9);
    expect(b.arrivals[10]!.t).toBeCloseTo(a.arrivals[10]!.t / 12, 9);
    expect(observedRate(b)).toBeCloseTo(12 * observedRate(a), 6);
    expect(() => generateTrace({ kind: 'burst', seed: 3, timeScale: 0 })).toThrow(SchedParameterError);
  });

  it('the player calls back in order at the scaled times', async () => {
    const tr = generateTrace({ kind: 'light', seed: 2, durationS: 40 });
    let clock = 0;
    const seen: number[] = [];
    const n = await playTrace(tr, (a) => seen.push(clock), { speed: 1000, now: () => clock, sleep: async (ms) => void (clock += ms) });
    expect(n).toBe(tr.arrivals.length);
    for (let i = 0; i < seen.length; i++) expect(Math.abs(seen[i]! - tr.arrivals[i]!.t)).toBeLessThan(1.01);
  });

  it('never calls back before an arrival is due, even with a sleep that wakes early (Node truncates timer delays)', async () => {
    const tr = generateTrace({ kind: 'burst', seed: 3, durationS: 20 });
    let clock = 0;
    const early: number[] = [];
    const n = await playTrace(tr, (a) => clock < a.t * 1000 && early.push(a.t * 1000 - clock), { now: () => clock, sleep: async (ms) => void (clock += Math.max(0.1, ms - 0.9)) });
    expect(n).toBe(tr.arrivals.length);
    expect(early).toEqual([]);
  });
});

const azurePath = defaultAzurePath();
const haveAzure = existsSync(azurePath);
if (!haveAzure) console.warn(`skipping the Azure trace player test: ${azurePath} is absent (it is read by path, never copied into the project)`);

describe('the Azure LLM trace player', () => {
  it('parses timestamps with their full fraction', () => {
    expect(parseTimestamp('2023-11-16 18:15:46.6805900') - parseTimestamp('2023-11-16 18:15:46.0000000')).toBeCloseTo(0.68059, 6);
    expect(parseTimestamp('nonsense')).toBeNaN();
  });

  it('says clearly when the file is missing', () => {
    expect(() => loadAzureTrace({ path: '/nonexistent/azure.csv.gz' })).toThrow(TraceFileError);
    expect(() => loadAzureTrace({ path: '/nonexistent/azure.csv.gz' })).toThrow(/--trace-file/);
  });

  it.skipIf(!haveAzure)('plays the trace from its timestamps, compressible in time', () => {
    const t = loadAzureTrace();
    expect(t.arrivals.length).toBeGreaterThan(10_000);
    expect(t.arrivals[0]!.t).toBe(0);
    expect(t.arrivals.every((x, i) => i === 0 || x.t >= t.arrivals[i - 1]!.t)).toBe(true);
    expect(t.arrivals[0]!.contextTokens).toBeGreaterThan(0);
    const c = loadAzureTrace({ timeScale: 12, models: 4, seed: 1 });
    expect(c.arrivals.length).toBe(t.arrivals.length);
    expect(c.durationS).toBeCloseTo(t.durationS / 12, 6);
    expect(new Set(c.arrivals.map((a) => a.model)).size).toBe(4);
    const head = loadAzureTrace({ durationS: 300 });
    expect(head.arrivals.every((a) => a.t < 300)).toBe(true);
    console.log(`azure: ${t.arrivals.length} requests over ${t.durationS.toFixed(0)} s (${observedRate(t).toFixed(2)} req/s)`);
  });
});
