// What else the host did during a system's run (src/eval/host-load.ts): other
// processes' CPU and the hypervisor's steal from /proc/stat, beside this
// process's own, and the clause the spread lines (paired.ts) add when a run
// shared its host.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HostLoad, hostLoadLine, readTicks, type CpuTicks } from '../src/eval/host-load.js';
import { sharedHost, spreadLines } from '../src/eval/paired.js';
import type { RoundSummary, SystemResult } from '../src/eval/result.js';

/** A host of `cores` CPUs at 100 ticks a second per CPU, driven by the test. */
function fakeHost(cores: number) {
  const t = { busy: 0, steal: 0, total: 0 };
  let own = 0;
  let now = 0;
  return {
    source: { periodMs: 1e9, cores, ticks: (): CpuTicks => ({ ...t }), ownUs: () => own, now: () => now },
    /** One second: this process uses `mine` cores, others `others`, the hypervisor steals `stolen` of the ticks. */
    second(mine: number, others: number, stolen = 0) {
      const ticks = 100 * cores;
      const steal = stolen * ticks;
      t.busy += 100 * (mine + others);
      t.steal += steal;
      t.total += ticks;
      own += mine * 1e6;
      now += 1000;
    },
  };
}

describe('host load', () => {
  it("separates other processes' cores from this process's, per second and over the run", () => {
    const h = fakeHost(2);
    const load = new HostLoad(h.source);
    load.start();
    h.second(1.2, 0.1);
    load.tick();
    h.second(1.0, 0.9, 0.05);
    load.tick();
    h.second(1.1, 0.2);
    const r = load.stop()!;
    expect(r.cores).toBe(2);
    expect(r.perSecond).toEqual([0.1, 0.9]);
    expect(r.stealPerSecond).toEqual([0, 0.05]);
    expect(r.otherCores).toBeCloseTo(0.4, 10);
    expect(r.otherCoresMax).toBeCloseTo(0.9, 10);
    expect(r.ownCores).toBeCloseTo(1.1, 10);
    expect(r.stealShare).toBeCloseTo(0.05 / 3, 10);
    expect(hostLoadLine(r)).toBe('host CPU: other processes 0.40 cores (busiest second 0.90), stolen 1.67%, this process 1.10 of 2 cores: this run shared its host');
  });

  it('says so where there is no /proc/stat', () => {
    const load = new HostLoad({ ticks: () => null });
    load.start();
    expect(load.stop()).toBeNull();
    expect(hostLoadLine(null)).toBe('host CPU: not measured (no /proc/stat)');
  });

  it.skipIf(!existsSync('/proc/stat'))('on this host, sees a child process that spins', async () => {
    expect(readTicks()).not.toBeNull();
    const load = new HostLoad({ periodMs: 200 });
    load.start();
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 1200; while (Date.now() < end) {}']);
    await new Promise((resolve) => child.on('exit', resolve));
    const r = load.stop()!;
    // The child's 1.2 s of spinning over about 1.3 s of run: at least a third of a core even on a crowded machine.
    expect(r.otherCores).toBeGreaterThan(0.3);
    expect(r.otherCoresMax).toBeGreaterThanOrEqual(r.otherCores - 1e-9);
    expect(r.perSecond.length).toBeGreaterThanOrEqual(3);
  });
});

const N = 1000;

function system(name: string, otherCores: number | undefined, rounds?: RoundSummary[], stealShare = 0): SystemResult {
  const latenciesMs = Array.from({ length: N }, (_, i) => (i % 97 === 0 ? 9 : 3));
  return {
    system: name, summary: name, requests: N, failed: 0, sloCompliance: 0.99, p50Ms: 3, p99Ms: 9, warmP50Ms: 3, warmP99Ms: 9, coldStartRatio: 0,
    trainSamples: 0, trainSamplesPerSec: 0, wastedTrainS: 0, microBatchMin: null, microBatchMax: null,
    handovers: { count: 0, requires: 0, releases: 0, swapOuts: 0, closeMs: null, discardMs: null, reclaimMs: null, totalMs: null, waitForBatchMs: null, discards: 0 },
    predictedCompliance: null, predictedColdStartRatio: null, complianceGapPts: null, predictionNote: '', wallS: 60,
    latenciesMs, sloMs: latenciesMs.map(() => 6), memory: [], marks: [], training: [], rounds,
    hostLoad: otherCores === undefined ? null : { cores: 2, otherCores, otherCoresMax: otherCores, ownCores: 1, stealShare, perSecond: [] },
  };
}

const round = (r: number, otherCores: number, stealShare = 0): RoundSummary => ({ round: r, sloCompliance: 0.99, p99Ms: 9, trainSamplesPerSec: 0, otherCores, stealShare });

describe('the spread lines say when a run shared its host', () => {
  it('one run: names the system whose run met other work, with both loads', () => {
    expect(sharedHost(system('handover', 0.02), system('sp75', 0.61))).toBe("; other processes used 0.61 cores during sp75's run (handover's 0.02)");
    expect(sharedHost(system('handover', 0.7), system('sp75', 0.1))).toBe("; other processes used 0.70 cores during handover's run (sp75's 0.10)");
    const [line] = spreadLines([system('handover', 0.02), system('taskswitch', 0.5)]);
    expect(line).toMatch(/^handover vs taskswitch: .*; other processes used 0\.50 cores during taskswitch's run \(handover's 0\.02\)$/);
  });

  it("one run: names the run that lost CPU to the hypervisor (steal), with both shares", () => {
    expect(sharedHost(system('handover', 0.02, undefined, 0.001), system('sp75', 0.03, undefined, 0.009))).toBe("; the hypervisor took 0.90% of the CPU during sp75's run (handover's 0.10%)");
    expect(sharedHost(system('handover', 0.5, undefined, 0.004), system('sp75', 0.03, undefined, 0.001))).toBe(
      "; other processes used 0.50 cores during handover's run (sp75's 0.03); the hypervisor took 0.40% of the CPU during handover's run (sp75's 0.10%)",
    );
    expect(sharedHost(system('handover', 0.02, undefined, 0.002), system('sp75', 0.03, undefined, 0.0029))).toBe('');
    expect(hostLoadLine({ cores: 2, otherCores: 0.02, otherCoresMax: 0.1, ownCores: 0.8, stealShare: 0.006, perSecond: [] })).toMatch(/stolen 0\.60%, .*: this run shared its host$/);
  });

  it('nothing when both runs had the host to themselves, or a run was not measured', () => {
    expect(sharedHost(system('handover', 0.1), system('sp75', 0.2))).toBe('');
    expect(sharedHost(system('handover', undefined), system('sp75', 0.9))).toBe('');
  });

  it('rounds: lists the rounds in which either run shared its host', () => {
    const a = system('handover', 0.01, [round(1, 0.01), round(2, 0.4), round(3, 0.02)]);
    const b = system('sp75', 0.03, [round(1, 0.03), round(2, 0.05), round(3, 0.9)]);
    expect(sharedHost(a, b)).toBe('; rounds that shared the host: 2 (handover: other processes 0.40 cores), 3 (sp75: other processes 0.90 cores)');
    const stolen = system('taskswitch', 0.03, [round(1, 0.03, 0.001), round(2, 0.3, 0.009), round(3, 0.02, 0.002)]);
    expect(sharedHost(a, stolen)).toBe('; rounds that shared the host: 2 (handover: other processes 0.40 cores; taskswitch: other processes 0.30 cores, hypervisor 0.90%)');
    const quiet = system('sp75', 0.03, [round(1, 0.03), round(2, 0.05), round(3, 0.1)]);
    expect(sharedHost(system('handover', 0.01, [round(1, 0.01), round(2, 0.1), round(3, 0.02)]), quiet)).toBe('');
  });
});
