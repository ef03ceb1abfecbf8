// The report's one-line verdict (which system won on which metric, by how
// much) and the trace's HEAVY/LIGHT phases drawn behind a time axis.
import type { SystemResult } from './result.js';
import { esc, type Frame, type Scale } from './svg.js';

/** The trace's intervals, as the report draws them: seconds of the run, after time scaling. */
export interface TracePhases {
  intervalS: number;
  regimes: ('light' | 'heavy')[];
  /** Requests per second in each interval. */
  rates: number[];
}

interface Metric {
  name: string;
  value: (s: SystemResult) => number;
  text: (v: number) => string;
  /** How the winner's lead over the runner-up reads. */
  lead: (win: number, next: number) => string;
}

const METRICS: Metric[] = [
  {
    name: 'SLO compliance',
    value: (s) => s.sloCompliance,
    text: (v) => `${(100 * v).toFixed(1)}%`,
    lead: (w, n) => `+${(100 * (w - n)).toFixed(1)} pts`,
  },
  {
    name: 'training throughput',
    value: (s) => s.trainSamplesPerSec,
    text: (v) => `${v.toFixed(0)} samples/s`,
    lead: (w, n) => (n > 0 ? `${(w / n).toFixed(2)}x` : 'the only one that trained'),
  },
];

/** "SLO compliance: handover won (94.8%, +1.0 pts over taskswitch's 93.8%); training throughput: ..." */
export function verdict(systems: SystemResult[]): string {
  if (systems.length < 2) return systems.length === 1 ? `One system only (${systems[0]!.system}): nothing to compare.` : '';
  return METRICS.map((m) => {
    const ranked = [...systems].sort((a, b) => m.value(b) - m.value(a));
    const [win, next] = [ranked[0]!, ranked[1]!];
    const [w, n] = [m.value(win), m.value(next)];
    if (w === n) return `${m.name}: ${win.system} and ${next.system} tied (${m.text(w)})`;
    return `${m.name}: ${win.system} won (${m.text(w)}, ${m.lead(w, n)} over ${next.system}'s ${m.text(n)})`;
  }).join('; ') + '.';
}

/** Runs of consecutive intervals in the same regime: [regime, first interval, intervals, mean rate]. */
function runsOf(phases: TracePhases): { regime: 'light' | 'heavy'; first: number; count: number; rate: number | undefined }[] {
  const runs: { regime: 'light' | 'heavy'; first: number; count: number; rate: number | undefined }[] = [];
  phases.regimes.forEach((regime, i) => {
    const last = runs[runs.length - 1];
    if (last && last.regime === regime) last.count++;
    else runs.push({ regime, first: i, count: 1, rate: undefined });
  });
  for (const r of runs) {
    const rates = phases.rates.slice(r.first, r.first + r.count);
    r.rate = rates.length === r.count ? rates.reduce((a, b) => a + b, 0) / r.count : undefined;
  }
  return runs;
}

/**
 * Shaded bands behind a plot, one per run of HEAVY or LIGHT intervals, each
 * labelled with its regime and mean rate where it is wide enough for the text
 * (the band's tooltip always has both).
 */
export function phaseBands(f: Frame, x: Scale, tEnd: number, phases: TracePhases | undefined): string {
  if (!phases || phases.regimes.length === 0 || !(phases.intervalS > 0)) return '';
  const parts: string[] = [];
  for (const run of runsOf(phases)) {
    const t0 = run.first * phases.intervalS;
    if (t0 >= tEnd) break;
    const t1 = Math.min(tEnd, t0 + run.count * phases.intervalS);
    const [x0, x1] = [x(t0), x(t1)];
    const fill = run.regime === 'heavy' ? '#fde0dd' : '#e5f5e0';
    const label = `${run.regime.toUpperCase()}${run.rate === undefined ? '' : ` ${run.rate.toFixed(run.rate >= 10 ? 0 : 1)} req/s`}`;
    parts.push(`<rect class="phase-${run.regime}" x="${x0.toFixed(1)}" y="${f.top}" width="${(x1 - x0).toFixed(1)}" height="${f.height - f.top - f.bottom}" fill="${fill}"><title>${esc(`${label}, ${t0.toFixed(1)}-${t1.toFixed(1)} s`)}</title></rect>`);
    if (x1 - x0 >= label.length * 6.5) parts.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${f.top + 24}" text-anchor="middle" font-size="11" fill="#555">${esc(label)}</text>`);
  }
  return parts.join('');
}
