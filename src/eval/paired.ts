// Is a lead in SLO compliance larger than the run's own spread? Every system
// replays the same trace, so request i is the same arrival in each: the
// difference is paired per request. Misses come in bunches (a second of a
// disturbed host costs dozens), so the interval is a block bootstrap over runs
// of consecutive requests, not a binomial one: a lead that one bad second
// explains gets an interval that includes 0. With --repeat, the rounds say the
// rest: in how many rounds one system was at or above the other.
import { Rng } from '../core/random.js';
import type { SystemResult } from './result.js';
import { BUSY_HOST_CORES, BUSY_HOST_STEAL, stolenText as pct, type HostLoadReport } from './host-load.js';

export interface PairedCompliance {
  /** a's compliance minus b's, in points. */
  pts: number;
  /** 95% interval of that difference (points), from the block bootstrap. */
  lo: number;
  hi: number;
  /** Blocks of consecutive requests the bootstrap resampled, and their length. */
  blocks: number;
  blockRequests: number;
}

export interface PairedOptions {
  /** Consecutive requests in one block (default 100: about a second at the busy rates of the README trace). */
  blockRequests?: number;
  resamples?: number;
  seed?: number;
}

/** 1 where request i met its SLO (and did not fail), else 0, in arrival order (from the rounded lists in older results). */
export function withinFlags(s: SystemResult): Uint8Array {
  if (!s.missedIndices) return Uint8Array.from(s.latenciesMs, (lat, i) => (lat <= s.sloMs[i]! ? 1 : 0));
  const flags = new Uint8Array(s.latenciesMs.length).fill(1);
  for (const i of s.missedIndices) flags[i] = 0;
  return flags;
}

/** a minus b, per request paired; null when the two did not replay the same requests. */
export function pairedCompliance(a: SystemResult, b: SystemResult, opts: PairedOptions = {}): PairedCompliance | null {
  const n = a.latenciesMs.length;
  if (n === 0 || b.latenciesMs.length !== n || a.sloMs.length !== n || b.sloMs.length !== n) return null;
  const wa = withinFlags(a);
  const wb = withinFlags(b);
  const L = Math.max(1, Math.floor(opts.blockRequests ?? 100));
  const sums: number[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (let i = 0; i < n; i += L) {
    let d = 0;
    const end = Math.min(n, i + L);
    for (let j = i; j < end; j++) d += wa[j]! - wb[j]!;
    sums.push(d);
    sizes.push(end - i);
    total += d;
  }
  const k = sums.length;
  const rng = new Rng(opts.seed ?? 1);
  const draws = Math.max(100, Math.floor(opts.resamples ?? 2000));
  const stats = new Float64Array(draws);
  for (let r = 0; r < draws; r++) {
    let d = 0;
    let m = 0;
    for (let j = 0; j < k; j++) {
      const pick = rng.int(k);
      d += sums[pick]!;
      m += sizes[pick]!;
    }
    stats[r] = (100 * d) / m;
  }
  stats.sort();
  const at = (p: number) => stats[Math.min(draws - 1, Math.max(0, Math.round(p * (draws - 1))))]!;
  return { pts: (100 * total) / n, lo: at(0.025), hi: at(0.975), blocks: k, blockRequests: L };
}

const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;

/** Round by round (the order each ran), a minus b in points; empty without --repeat. */
export function roundDifferences(a: SystemResult, b: SystemResult): number[] {
  if (!a.rounds || !b.rounds) return [];
  const byRound = new Map(b.rounds.map((r) => [r.round, r.sloCompliance]));
  return a.rounds.flatMap((r) => (byRound.has(r.round) ? [100 * (r.sloCompliance - byRound.get(r.round)!)] : []));
}

/** What the interval does not cover, said once under the lines. */
export const SPREAD_NOTE = 'The interval covers the spread within a run (misses come in bunches); a host that is slower for a whole run is not in it: the rounds of --repeat (order rotated) show that, and each run\'s "host CPU:" line says how much CPU other processes took.';

/**
 * One line per comparison: handover against each other system when handover
 * ran, else the best system against the runner-up. "handover vs sp75: +1.2
 * pts SLO compliance (95% interval −0.4..+2.6 over 30 runs of 100
 * consecutive requests: within the spread of this run); at or above in 2 of 3 rounds (−0.3, +1.2, +0.5)".
 */
export function spreadLines(systems: SystemResult[], opts: PairedOptions = {}): string[] {
  if (systems.length < 2) return [];
  const lead = systems.find((s) => s.system === 'handover') ?? [...systems].sort((x, y) => y.sloCompliance - x.sloCompliance)[0]!;
  const others = lead.system === 'handover' ? systems.filter((s) => s !== lead) : [[...systems].sort((x, y) => y.sloCompliance - x.sloCompliance)[1]!];
  return others.flatMap((o) => {
    const p = pairedCompliance(lead, o, opts);
    if (!p) return [];
    const real = p.lo > 0 ? 'above' : p.hi < 0 ? 'below' : null;
    const says = real ? `${real} by more than the spread within this run` : 'within the spread of this run';
    const rounds = roundDifferences(lead, o);
    const atOrAbove = rounds.filter((d) => d >= 0).length;
    const roundText = rounds.length > 1 ? `; at or above in ${atOrAbove} of ${rounds.length} rounds (${rounds.map(signed).join(', ')})` : '';
    return [`${lead.system} vs ${o.system}: ${signed(p.pts)} pts SLO compliance (95% interval ${signed(p.lo)}..${signed(p.hi)} over ${p.blocks} runs of ${p.blockRequests} consecutive requests: ${says})${roundText}${sharedHost(lead, o)}`];
  });
}

/**
 * `; other processes used 0.61 cores during sp75's run (handover's 0.02)`,
 * `; the hypervisor took 0.90% of the CPU during sp75's run (handover's 0.10%)`,
 * or with rounds `; rounds that shared the host: 2 (sp75: other processes
 * 0.61 cores)`: where either run met other work on the CPU (host-load.ts),
 * empty otherwise.
 */
export function sharedHost(a: SystemResult, b: SystemResult): string {
  const what = (other: number | undefined, steal: number | undefined) =>
    [(other ?? 0) >= BUSY_HOST_CORES ? `other processes ${other!.toFixed(2)} cores` : '', (steal ?? 0) >= BUSY_HOST_STEAL ? `hypervisor ${pct(steal!)}` : ''].filter(Boolean).join(', ');
  if (a.rounds && b.rounds && a.rounds.length > 1) {
    const ofB = new Map(b.rounds.map((r) => [r.round, r]));
    const shared = a.rounds.flatMap((r) => {
      const o = ofB.get(r.round);
      const who = [[a.system, what(r.otherCores, r.stealShare)], [b.system, what(o?.otherCores, o?.stealShare)]].filter(([, w]) => w).map(([s, w]) => `${s}: ${w}`);
      return who.length ? [`${r.round} (${who.join('; ')})`] : [];
    });
    return shared.length ? `; rounds that shared the host: ${shared.join(', ')}` : '';
  }
  const [x, y] = [a.hostLoad, b.hostLoad];
  if (!x || !y) return '';
  /** One clause where either run is at or over `limit` of `value`: the busier run first, the other's beside it. */
  const clause = (value: (h: HostLoadReport) => number, limit: number, says: (v: number) => string, format: (v: number) => string) => {
    if (value(x) < limit && value(y) < limit) return '';
    const [more, less] = value(x) >= value(y) ? [[a, x], [b, y]] as const : [[b, y], [a, x]] as const;
    return `; ${says(value(more[1]))} during ${more[0].system}'s run (${less[0].system}'s ${format(value(less[1]))})`;
  };
  const cores = (v: number) => v.toFixed(2);
  return (
    clause((h) => h.otherCores, BUSY_HOST_CORES, (v) => `other processes used ${cores(v)} cores`, cores) +
    clause((h) => h.stealShare, BUSY_HOST_STEAL, (v) => `the hypervisor took ${pct(v)} of the CPU`, pct)
  );
}
