// The LLM run's report as one self-contained HTML page: TTFT and TBT CDFs
// with the SLO lines, compliance normalised to Infer-Only, training
// throughput, KV pages over time per system with the handover marks, and the
// table. Built from the evaluation report's SVG pieces (../svg.ts).
import { axes, cdfPoints, bars, esc, FRAME, legend, linear, log10Scale, PALETTE, polyline, svg, ticks, type Frame } from '../svg.js';
import { comparisons } from './report.js';
import type { LlmRunReport, LlmSystemResult } from './result.js';

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);
const ms = (v: number) => (!Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function cdf(title: string, id: string, series: { label: string; values: number[] }[], slo: number, xLabel: string): string {
  const f: Frame = { ...FRAME, height: 320 };
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.max(0.1, Math.min(...all, slo) * 0.8);
  const hi = Math.max(...all, slo, 1) * 1.2;
  const x = log10Scale(lo, hi, f.left, f.width - f.right);
  const y = linear(0, 1, f.height - f.bottom, f.top);
  const parts = [axes(f, { scale: x, ticks: ticks(lo, hi, true), label: xLabel }, { scale: y, ticks: [0, 0.25, 0.5, 0.75, 0.9, 1], label: 'share at or below this time (%)', fmt: (v) => `${Math.round(v * 100)}%` })];
  const items: { label: string; color: string; dash?: string }[] = [];
  series.forEach((s, i) => {
    const pts = cdfPoints(s.values, x, y);
    const color = PALETTE[i % PALETTE.length]!;
    parts.push(polyline(pts, color));
    items.push({ label: s.label, color });
  });
  const px = x(slo).toFixed(1);
  parts.push(`<line x1="${px}" y1="${f.top}" x2="${px}" y2="${f.height - f.bottom}" stroke="#000" stroke-dasharray="6 3"/><text x="${Number(px) + 3}" y="${f.height - f.bottom - 8}" font-size="11">SLO ${ms(slo)} ms</text>`);
  items.push({ label: 'SLO (4x alone)', color: '#000', dash: '6 3' });
  parts.push(legend(f, items));
  return svg(f, title, parts.join(''), id);
}

function kvPlot(s: LlmSystemResult, index: number, arenaPages: number): string {
  const f: Frame = { ...FRAME, height: 240 };
  const tEnd = Math.max(1, ...s.kv.map((k) => k.t));
  const x = linear(0, tEnd, f.left, f.width - f.right);
  const y = linear(0, arenaPages, f.height - f.bottom, f.top);
  const parts = [axes(f, { scale: x, ticks: ticks(0, tEnd, false), label: 'time since the start of the run (s)' }, { scale: y, ticks: ticks(0, arenaPages, false), label: 'arena memory (pages)' })];
  parts.push(polyline(s.kv.map((k) => [x(k.t), y(k.trainPages)]), '#4e79a7', 1.5));
  parts.push(polyline(s.kv.map((k) => [x(k.t), y(k.kvPages)]), '#f28e2b', 2));
  parts.push(polyline(s.kv.map((k) => [x(k.t), y(k.trainLimitPages)]), '#222', 1.5, '4 2'));
  const items = [
    { label: 'KV pages', color: '#f28e2b' },
    { label: 'training pages', color: '#4e79a7' },
    { label: 'training limit', color: '#222', dash: '4 2' },
  ];
  if (s.kvCapPages !== null) {
    parts.push(polyline([[x(0), y(s.kvCapPages)], [x(tEnd), y(s.kvCapPages)]], '#d62728', 1, '2 2'));
    items.push({ label: `KV cap (${s.kvCapPages})`, color: '#d62728', dash: '2 2' });
  }
  for (const mk of s.marks) {
    const px = x(mk.t).toFixed(1);
    const color = mk.kind === 'require' ? '#d62728' : '#2ca02c';
    parts.push(`<line x1="${px}" y1="${f.top}" x2="${px}" y2="${f.top + 10}" stroke="${color}" stroke-width="2"><title>${esc(`${mk.kind} ${(mk.bytes / 1024).toFixed(0)} KiB at ${mk.t.toFixed(2)} s`)}</title></line>`);
  }
  items.push({ label: `require (${s.requires})`, color: '#d62728' }, { label: `release (${s.releases})`, color: '#2ca02c' });
  parts.push(legend(f, items));
  return svg(f, `KV pages over time: ${s.system}`, parts.join(''), `plot-kv-${index}`);
}

function table(report: LlmRunReport, systems: LlmSystemResult[]): string {
  const cmp = comparisons(report);
  const head = ['system', 'KV cap', 'done / failed', 'TTFT P50 ms', 'TTFT P99 ms', 'TTFT in SLO', 'TBT P50 ms', 'TBT P99 ms', 'TBT in SLO', 'TTFT / Infer-Only', 'TBT / Infer-Only', 'train samples/s', 'train / SP-75', 'queued at cap', 'preemptions', 'requires / deferred / releases', 'peak KV pages'];
  const rows = systems.map((s) => {
    const c = cmp[s.system]!;
    return [
      s.system, s.kvCapPages === null ? '–' : String(s.kvCapPages), `${s.completed} / ${s.failed}`, ms(s.ttft.p50), ms(s.ttft.p99), pct(s.ttftCompliance), ms(s.tbt.p50), ms(s.tbt.p99), pct(s.tbtCompliance),
      pct(c.ttftVsInferOnly), pct(c.tbtVsInferOnly), s.trainSamplesPerSec.toFixed(0), c.trainVsSp75 === null ? '–' : `${c.trainVsSp75.toFixed(2)}x`, String(s.queuedAtMinimum), String(s.preemptions), `${s.requires} / ${s.yields ?? 0} / ${s.releases}`, String(s.peakKvPages),
    ];
  });
  const tr = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table>${tr(head, 'th')}${rows.map((r) => tr(r, 'td')).join('')}</table>`;
}

export function renderLlmReport(report: LlmRunReport): string {
  const systems = Object.values(report.systems).filter((s): s is LlmSystemResult => s !== undefined);
  const names = systems.map((s) => s.system);
  const m = report.meta;
  const io = report.systems['infer-only'];
  const norm = (v: number, base: number | undefined) => (io ? (base! > 0 ? v / base! : null) : v);
  const compliance = bars(FRAME, io ? 'SLO compliance as a fraction of Infer-Only\'s' : 'SLO compliance (no Infer-Only run to normalise to)', 'plot-compliance', names, [
    { label: 'TTFT', color: '#1f77b4', values: systems.map((s) => norm(s.ttftCompliance, io?.ttftCompliance)) },
    { label: 'TBT', color: '#aec7e8', values: systems.map((s) => norm(s.tbtCompliance, io?.tbtCompliance)) },
  ], io ? "compliance (% of Infer-Only's)" : 'compliance (% of requests)', undefined, pct);
  const throughput = bars(FRAME, 'Training throughput beside inference', 'plot-throughput', names, [{ label: 'samples/s', color: '#2ca02c', values: systems.map((s) => s.trainSamplesPerSec) }], 'training throughput (samples/s)', undefined, (v) => v.toFixed(0));
  const arenaPages = Math.round(m.arenaBytes / m.pageBytes);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>handover run --workload llm</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left;font-weight:600}svg{display:block;margin:18px 0}.meta{font-size:13px;color:#444}</style>
</head><body>
<h1>LLM colocation run: ${esc(names.join(', '))}</h1>
<p class="meta">${esc(m.date)} · ${esc(m.device)}${m.software ? ' (software rasterizer)' : ''} · backend ${esc(m.backend)} · ${m.requests} requests over ${m.durationS.toFixed(0)} s (mean ${m.meanRate.toFixed(2)} req/s, time scale ${m.timeScale}, seed ${m.seed}) · ${esc(m.traceFile)}<br>
${esc(m.scaling)} · model ${esc(m.model)} (${(m.modelBytes / 2 ** 20).toFixed(1)} MiB), batch up to ${m.maxBatch}, KV blocks of ${m.blockTokens} tokens (${(m.blockBytes / 1024).toFixed(0)} KiB) · arena ${arenaPages} pages of ${(m.pageBytes / 1024).toFixed(0)} KiB, workspace ${m.workspacePages} pages · training MLP ${esc(m.trainLayers.join('-'))}, micro-batch up to ${m.trainMicroBatch}<br>
standalone TTFT ${ms(m.standalone.ttftMs)} ms, TBT ${ms(m.standalone.tbtMs)} ms → SLO TTFT ${ms(m.slo.ttftMs)} ms, TBT ${ms(m.slo.tbtMs)} ms · Infer-Only peak KV ${m.inferOnlyPeakKvPages ?? '–'} pages<br><code>${esc(m.command)}</code></p>
${cdf('TTFT CDF per system', 'plot-ttft-cdf', systems.map((s) => ({ label: `${s.system} (${pct(s.ttftCompliance)})`, values: s.ttftMs })), m.slo.ttftMs, 'time to first token (ms, log scale)')}
${cdf('TBT CDF per system', 'plot-tbt-cdf', systems.map((s) => ({ label: `${s.system} (${pct(s.tbtCompliance)})`, values: s.tbtMs })), m.slo.tbtMs, 'time between tokens (ms, log scale)')}
${compliance}
${throughput}
${systems.map((s, i) => kvPlot(s, i, arenaPages)).join('\n')}
<h2>Table</h2>
${table(report, systems)}
<p class="meta">TTFT compliance counts a failed request as a miss. SP-50 / SP-75: a fixed KV cap of 50% / 75% of the KV pages Infer-Only held at its peak, the rest of the arena given to training at the start. ${esc(systems.map((s) => `${s.system}: ${s.summary}`).join('; '))}.</p>
</body></html>
`;
}
