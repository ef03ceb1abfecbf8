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

/** Shaded bands behind a plot, one per trace interval, labelled HEAVY or LIGHT with the interval's rate. */
export function phaseBands(f: Frame, x: Scale, tEnd: number, phases: TracePhases | undefined): string {
  if (!phases || phases.regimes.length === 0 || !(phases.intervalS > 0)) return '';
  const parts: string[] = [];
  phases.regimes.forEach((regime, i) => {
    const t0 = i * phases.intervalS;
    if (t0 >= tEnd) return;
    const t1 = Math.min(tEnd, t0 + phases.intervalS);
    const [x0, x1] = [x(t0), x(t1)];
    const fill = regime === 'heavy' ? '#fde0dd' : '#e5f5e0';
    const rate = phases.rates[i];
    const label = `${regime.toUpperCase()}${rate === undefined ? '' : ` ${rate.toFixed(rate >= 10 ? 0 : 1)} req/s`}`;
    parts.push(`<rect class="phase-${regime}" x="${x0.toFixed(1)}" y="${f.top}" width="${(x1 - x0).toFixed(1)}" height="${f.height - f.top - f.bottom}" fill="${fill}"><title>${esc(`${label}, ${t0.toFixed(1)}-${t1.toFixed(1)} s`)}</title></rect>`);
    parts.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${f.top + 24}" text-anchor="middle" font-size="11" fill="#555">${esc(label)}</text>`);
  });
  return parts.join('');
}
