// The run's report as one self-contained HTML page: latency CDFs with the SLO,
// compliance (measured beside predicted) and training-throughput bars, memory
// by owner over time with handover marks, and the table.
import type { RunReport, SystemResult } from './result.js';
import { SPREAD_NOTE, spreadLines } from './paired.js';
import { phaseBands, verdict, type TracePhases } from './report-verdict.js';
import { axes, cdfPoints, bars, esc, FRAME, legend, linear, log10Scale, PALETTE, polyline, svg, ticks, type Frame } from './svg.js';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const ms = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const MiB = 2 ** 20;

/** Whether the compliance leads are larger than the run's own spread (paired.ts), under the verdict. */
function spread(systems: SystemResult[]): string {
  const lines = spreadLines(systems);
  return lines.length ? `<p id="spread" class="meta">${[...lines, SPREAD_NOTE].map(esc).join('<br>')}</p>` : '';
}

function latencyCdf(systems: SystemResult[]): string {
  const f: Frame = { ...FRAME, height: 340 };
  const all = systems.flatMap((s) => s.latenciesMs).filter((v) => v > 0);
  const lo = Math.max(0.1, Math.min(...all, 1));
  const hi = Math.max(...all, 10) * 1.2;
  const x = log10Scale(lo, hi, f.left, f.width - f.right);
  const y = linear(0, 1, f.height - f.bottom, f.top);
  const parts = [axes(f, { scale: x, ticks: ticks(lo, hi, true), label: 'latency (ms, log scale)' }, { scale: y, ticks: [0, 0.25, 0.5, 0.75, 0.9, 1], label: 'requests at or below this latency (%)', fmt: (v) => `${Math.round(v * 100)}%` })];
  const items: { label: string; color: string; dash?: string }[] = [];
  systems.forEach((s, i) => {
    const pts = cdfPoints(s.latenciesMs, x, y);
    const color = PALETTE[i % PALETTE.length]!;
    parts.push(polyline(pts, color));
    items.push({ label: `${s.system} (${pct(s.sloCompliance)})`, color });
  });
  const slos = [...new Set(systems.flatMap((s) => s.sloMs))].sort((a, b) => a - b);
  slos.forEach((slo, k) => {
    const px = x(slo).toFixed(1);
    // Labels alternate between two rows so close SLOs stay readable.
    const ly = f.height - f.bottom - 8 - (k % 2) * 14;
    parts.push(`<line x1="${px}" y1="${f.top}" x2="${px}" y2="${f.height - f.bottom}" stroke="#000" stroke-dasharray="6 3"/><text x="${Number(px) + 3}" y="${ly}" font-size="11">SLO ${ms(slo)} ms</text>`);
  });
  items.push({ label: 'SLO (4x alone)', color: '#000', dash: '6 3' });
  parts.push(legend(f, items));
  return svg(f, 'Latency CDF per system', parts.join(''), 'plot-latency-cdf');
}

function memoryPlot(s: SystemResult, index: number, arenaBytes: number, phases: TracePhases | undefined): string {
  const f: Frame = { ...FRAME, height: 240 };
  const tEnd = Math.max(1, ...s.memory.map((m) => m.t));
  const x = linear(0, tEnd, f.left, f.width - f.right);
  const y = linear(0, arenaBytes / MiB, f.height - f.bottom, f.top);
  const parts = [phaseBands(f, x, tEnd, phases), axes(f, { scale: x, ticks: ticks(0, tEnd, false), label: 'time since the start of the run (s)' }, { scale: y, ticks: ticks(0, arenaBytes / MiB, false), label: 'arena memory (MiB)' })];
  const area = (lower: (m: SystemResult['memory'][0]) => number, upper: (m: SystemResult['memory'][0]) => number, color: string) => {
    const top = s.memory.map((m) => `${x(m.t).toFixed(1)},${y(upper(m) / MiB).toFixed(1)}`);
    const bottom = [...s.memory].reverse().map((m) => `${x(m.t).toFixed(1)},${y(lower(m) / MiB).toFixed(1)}`);
    return `<polygon fill="${color}" fill-opacity="0.75" stroke="none" points="${[...top, ...bottom].join(' ')}"/>`;
  };
  parts.push(area(() => 0, (m) => m.trainBytes, '#4e79a7'));
  parts.push(area((m) => m.trainBytes, (m) => m.trainBytes + m.inferBytes, '#f28e2b'));
  parts.push(polyline(s.memory.map((m) => [x(m.t), y(m.trainLimitBytes / MiB)]), '#222', 1.5, '4 2'));
  for (const mk of s.marks) {
    const px = x(mk.t).toFixed(1);
    const color = mk.kind === 'require' ? '#d62728' : mk.kind === 'release' ? '#2ca02c' : '#9467bd';
    parts.push(`<line x1="${px}" y1="${f.top}" x2="${px}" y2="${f.top + 10}" stroke="${color}" stroke-width="2"><title>${esc(`${mk.kind} ${(mk.bytes / MiB).toFixed(2)} MiB at ${mk.t.toFixed(2)} s${mk.ms !== undefined ? `, ${mk.ms.toFixed(1)} ms` : ''}`)}</title></line>`);
  }
  parts.push(
    legend(f, [
      { label: 'training', color: '#4e79a7' },
      { label: 'inference', color: '#f28e2b' },
      { label: 'training limit', color: '#222', dash: '4 2' },
      { label: `require (${s.handovers.requires})`, color: '#d62728' },
      { label: `release (${s.handovers.releases})`, color: '#2ca02c' },
      { label: `swap-out (${s.handovers.swapOuts})`, color: '#9467bd' },
      ...(phases && phases.regimes.length ? [{ label: 'HEAVY phase', color: '#fbb4ae' }, { label: 'LIGHT phase', color: '#ccebc5' }] : []),
    ]),
  );
  return svg(f, `Memory by owner: ${s.system}`, parts.join(''), `plot-memory-${index}`);
}

function table(systems: SystemResult[]): string {
  const head = ['system', 'requests', 'SLO compliance (%)', 'predicted (%)', 'gap (pts)', 'P50 (ms)', 'P99 (ms)', 'warm P50 / P99 (ms)', 'cold starts (% of requests)', 'training (samples/s)', 'wasted training (s)', 'handovers (require/release)', 'p50 gate close / discard / reclaim + zero / total (ms)', 'p50 wait for the batch (ms)'];
  const rows = systems.map((s) => {
    const h = s.handovers;
    return [
      s.system, String(s.requests), pct(s.sloCompliance), s.predictedCompliance === null ? '–' : pct(s.predictedCompliance),
      s.complianceGapPts === null ? '–' : s.complianceGapPts.toFixed(1), ms(s.p50Ms), ms(s.p99Ms), `${ms(s.warmP50Ms)} / ${ms(s.warmP99Ms)}`, pct(s.coldStartRatio),
      s.trainSamplesPerSec.toFixed(0), s.wastedTrainS.toFixed(2), `${h.count} (${h.requires}/${h.releases})`,
      `${ms(h.closeMs)} / ${ms(h.discardMs)} / ${ms(h.reclaimMs)} / ${ms(h.totalMs)}`, ms(h.waitForBatchMs),
    ];
  });
  const tr = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table>${tr(head, 'th')}${rows.map((r) => tr(r, 'td')).join('')}</table>`;
}

/** With --repeat: each system's rounds (the table shows its median round). */
function roundsNote(systems: SystemResult[], rounds: number | undefined): string {
  if (!rounds || rounds < 2) return '';
  const line = (s: SystemResult) => `${s.system}: ${(s.rounds ?? []).map((r) => `${pct(r.sloCompliance)} / ${r.trainSamplesPerSec.toFixed(0)} samples/s`).join(', ')}`;
  return `<p class="meta">${rounds} rounds per system, order rotated each round; the table shows each system's median-compliance round. Rounds (compliance / training): ${esc(systems.map(line).join('; '))}.</p>`;
}

export function renderReport(report: RunReport): string {
  const systems = Object.values(report.systems);
  const names = systems.map((s) => s.system);
  const m = report.meta;
  const compliance = bars(FRAME, 'SLO compliance: measured and predicted by the queueing model', 'plot-compliance', names, [
    { label: 'measured', color: '#1f77b4', values: systems.map((s) => s.sloCompliance) },
    { label: 'predicted', color: '#aec7e8', values: systems.map((s) => s.predictedCompliance) },
  ], 'SLO compliance (% of requests)', 1.1, pct, (v) => `${Math.round(v * 100)}%`);
  const throughput = bars(FRAME, 'Training throughput over the run', 'plot-throughput', names, [{ label: 'samples/s', color: '#2ca02c', values: systems.map((s) => s.trainSamplesPerSec) }], 'training throughput (samples/s)', undefined, (v) => v.toFixed(0));
  const archs = m.architectures.map((a) => `${a.label} (${(a.bytes / 1024).toFixed(0)} KiB): exec ${a.execMs.toFixed(2)} ms, load ${a.loadMs.toFixed(2)} ms${a.coldMs !== undefined ? `, pipelined cold start ${a.coldMs.toFixed(2)} ms` : ''}, SLO ${a.sloMs.toFixed(1)} ms`).join('; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>handover run: ${esc(m.trace)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left;font-weight:600}svg{display:block;margin:18px 0}.verdict{font-size:15px;background:#f4f8fb;border-left:4px solid #1f77b4;padding:8px 12px}.meta{font-size:13px;color:#444}</style>
</head><body>
<h1>Colocation run: ${esc(m.trace.toUpperCase())} trace, ${esc(names.join(', '))}</h1>
<p id="verdict" class="verdict"><b>Verdict:</b> ${esc(verdict(systems))}</p>
${spread(systems)}
<p class="meta">${esc(m.date)} · ${esc(m.device)}${m.software ? ' (software rasterizer)' : ''} · backend ${esc(m.backend)} · ${m.requests} requests over ${m.durationS.toFixed(0)} s (mean ${m.meanRate.toFixed(1)} req/s, seed ${m.seed}, time scale ${m.timeScale}) · ${m.models} model instances · arena ${(m.arenaBytes / MiB).toFixed(1)} MiB in ${(m.pageBytes / 1024).toFixed(0)} KiB pages · training MLP ${esc(m.trainLayers.join('-'))}, micro-batch up to ${m.trainMicroBatch}<br>
${m.handoverCost ? `one handover costs training ${m.handoverCost.handoverMs.toFixed(1)} ms (require ${m.handoverCost.requireMs.toFixed(2)} ms measured + half a micro-batch discarded, ${m.handoverCost.wastedMs.toFixed(1)} ms), the tuner's handover budget<br>` : ''}handover policy: T_idle ${m.tuned.tIdleMs} ms, W ${(m.tuned.watermarkBytes / 1024).toFixed(0)} KiB (${esc(m.tuned.source)})<br>${esc(archs)}<br><code>${esc(m.command)}</code></p>
${latencyCdf(systems)}
${compliance}
${throughput}
${systems.map((s, i) => memoryPlot(s, i, m.arenaBytes, m.phases)).join('\n')}
<h2>Table</h2>
${table(systems)}
${roundsNote(systems, m.rounds)}
<p class="meta">Predicted: the per-model-expiry queueing chain (docs/scheduler.md) with the measured standalone execution and load times; it has no term for sharing the GPU with training, so the gap is reported, not tuned away. ${esc(systems.map((s) => `${s.system}: ${s.predictionNote}`).join('; '))}.</p>
</body></html>
`;
}
