// The one report of the evaluation at scale, as a self-contained HTML page
// and as markdown (docs/results-scale.md takes its tables): the paper's
// figures side by side for every (workload, trace) — SLO compliance
// normalised to Infer-Only, P99, training throughput normalised to SP-75, the
// handover breakdown (adjust / allocate / load), wasted training compute, and
// the memory timeline by owner — then the issue's targets, met or missed.
import { axes, bars, esc, FRAME, legend, linear, PALETTE, polyline, svg, ticks, type Frame } from '../svg.js';
import type { StageTimes } from '../result.js';
import type { WarmupResult } from '../warmup.js';
import type { ScaleReport, ScaleRow, Timeline } from './schema.js';

const SYSTEM_ORDER = ['infer-only', 'handover', 'naive', 'sp75', 'sp50', 'taskswitch'];
const LABEL: Record<string, string> = { 'infer-only': 'Infer-Only', handover: 'handover', naive: 'naive', sp75: 'SP-75', sp50: 'SP-50', taskswitch: 'TaskSwitch' };
const label = (s: string) => LABEL[s] ?? s;
const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
const times = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}x`);
const ms = (v: number | null) => (v === null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

/** The (workload, trace) groups in report order: vision traces first, then the LLM. */
export function groups(rows: readonly ScaleRow[]): { key: string; workload: string; trace: string; rows: ScaleRow[] }[] {
  const keys = [...new Set(rows.map((r) => `${r.workload}/${r.trace}`))];
  return keys.map((key) => {
    const [workload, trace] = key.split('/') as [string, string];
    const rs = rows.filter((r) => r.workload === workload && r.trace === trace);
    rs.sort((a, b) => rank(a.system) - rank(b.system));
    return { key, workload, trace, rows: rs };
  });
}
const rank = (s: string) => (SYSTEM_ORDER.indexOf(s) + 1 || 99);

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The issue's targets against the rows (null: not measured in this report). */
export function targets(r: ScaleReport): TargetCheck[] {
  const out: TargetCheck[] = [];
  const h = r.rows.filter((x) => x.system === 'handover');
  const name = (x: ScaleRow) => `${x.workload === 'llm' ? 'LLM ' : ''}${x.trace.toUpperCase()}`;
  for (const x of h) {
    if (x.workload === 'vision') out.push({ target: `${name(x)}: handover SLO >= 97% of Infer-Only's`, measured: pct(x.sloVsInferOnly), met: x.sloVsInferOnly === null ? null : x.sloVsInferOnly >= 0.97 });
    else {
      const worst = x.sloVsInferOnly === null || x.tbtVsInferOnly === null ? null : Math.min(x.sloVsInferOnly, x.tbtVsInferOnly);
      out.push({ target: `${name(x)}: TTFT and TBT compliance >= 95% of Infer-Only's`, measured: `TTFT ${pct(x.sloVsInferOnly)}, TBT ${pct(x.tbtVsInferOnly)}`, met: worst === null ? null : worst >= 0.95 });
    }
    const want = x.workload === 'llm' ? 1.5 : x.trace === 'light' ? 2 : x.trace === 'burst' ? 1.5 : null;
    if (want !== null) out.push({ target: `${name(x)}: training >= ${want}x SP-75`, measured: times(x.trainVsSp75), met: x.trainVsSp75 === null ? null : x.trainVsSp75 >= want });
    out.push({ target: `${name(x)}: wasted training compute <= 1.5%`, measured: pct(x.wastedShare), met: x.wastedShare === null ? null : x.wastedShare <= 0.015 });
    if (x.handover.requireP99Ms !== null)
      out.push({ target: `${name(x)}: require-to-usable p99 <= 5 ms (requires up to 4 GB)`, measured: `${ms(x.handover.requireP99Ms)} ms (largest ${mib(x.handover.largestRequireBytes ?? 0)})`, met: x.handover.requireP99Ms <= 5 });
  }
  return out;
}

function table(head: string[], rows: string[][]): { md: string; html: string } {
  const md = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const html = `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
  return { md, html };
}

/** One row per system of a group, the paper's measures. */
export function groupTable(rows: readonly ScaleRow[]): { md: string; html: string } {
  const llm = rows[0]?.workload === 'llm';
  const head = ['system', llm ? 'TTFT in SLO' : 'SLO', 'vs Infer-Only', ...(llm ? ['TBT in SLO', 'TBT vs Infer-Only'] : []), llm ? 'TTFT P50 / P99 ms' : 'P50 / P99 ms', ...(llm ? ['TBT P99 ms'] : []),
    'train samples/s', 'vs SP-75', 'wasted', 'micro-batch', 'requires / releases', 'adjust / allocate / load ms', 'require p99 ms', ...(llm ? [] : ['lag / admit (cold) / window / run p99 ms', 'cold', 'warm-up: cold / loads p50, max ms']), 'done / failed'];
  return table(head, rows.map((r) => [
    label(r.system), pct(r.sloCompliance), pct(r.sloVsInferOnly), ...(llm ? [pct(r.tbtCompliance), pct(r.tbtVsInferOnly)] : []), `${ms(r.p50Ms)} / ${ms(r.p99Ms)}`, ...(llm ? [ms(r.tbtP99Ms)] : []),
    r.trainSamplesPerSec.toFixed(1), times(r.trainVsSp75), pct(r.wastedShare), r.microBatch ? `${r.microBatch[0]}-${r.microBatch[1]}` : '–',
    `${r.handover.requires} / ${r.handover.releases}`, `${ms(r.handover.adjustMs)} / ${ms(r.handover.allocateMs)} / ${ms(r.handover.loadMs)}`, ms(r.handover.requireP99Ms), ...(llm ? [] : [stageCell(r.stages), pct(r.coldStartRatio ?? null), warmupCell(r.warmup)]), `${r.requests - r.failed} / ${r.failed}`,
  ]));
}

/** `lag / admit (cold) / window / run` P99 ms: where a system's requests waited. */
function stageCell(st: StageTimes | null | undefined): string {
  if (!st) return '–';
  const p = (x: { p99Ms: number } | null) => (x ? ms(x.p99Ms) : '–');
  return `${p(st.lag ?? null)} / ${p(st.admit)} (${p(st.coldAdmit)}) / ${p(st.window)} / ${p(st.run)}`;
}

/** `40 of 56 / 40 loads 12, 30` (cold starts of requests / loads, P50 and largest ms): the warm-up before the measured window, '–' without one. */
function warmupCell(w: WarmupResult | null | undefined): string {
  if (!w) return '–';
  return `${w.coldStarts} of ${w.requests} / ${w.loads} loads ${ms(w.loadP50Ms)}, ${ms(w.loadMaxMs)}`;
}

const SMALL: Frame = { ...FRAME, width: 520, height: 260, right: 110 };

/** The memory timeline of one run: train, inference (KV inside it for the LLM) and free, stacked lines in MiB. */
function timelineSvg(tl: Timeline, id: string): string {
  const pts = tl.points;
  const tEnd = Math.max(1e-3, ...pts.map((p) => p.t));
  const top = Math.max(1, ...pts.map((p) => (p.train + p.infer + p.free) / 2 ** 20));
  const x = linear(0, tEnd, SMALL.left, SMALL.width - SMALL.right);
  const y = linear(0, top, SMALL.height - SMALL.bottom, SMALL.top);
  const line = (f: (p: (typeof pts)[number]) => number, color: string, dash = '') => polyline(pts.map((p) => [x(p.t), y(f(p) / 2 ** 20)]), color, 2, dash);
  const series = [
    { label: 'inference', color: PALETTE[1]!, f: (p: (typeof pts)[number]) => p.infer },
    { label: 'inference + training', color: PALETTE[0]!, f: (p: (typeof pts)[number]) => p.infer + p.train },
    ...(pts.some((p) => p.kv !== null) ? [{ label: 'KV cache', color: PALETTE[3]!, f: (p: (typeof pts)[number]) => p.kv ?? 0, dash: '4 3' }] : []),
  ];
  const body = axes(SMALL, { scale: x, ticks: ticks(0, tEnd, false), label: 's' }, { scale: y, ticks: ticks(0, top, false), label: 'MiB' }) +
    series.map((s) => line(s.f, s.color, 'dash' in s ? s.dash : '')).join('') + legend(SMALL, series);
  return svg(SMALL, `${label(tl.system)}: memory by owner`, body, id);
}

/** The figures of one group: normalised SLO, P99, normalised training, wasted compute, side by side. */
function groupFigures(key: string, rows: readonly ScaleRow[]): string {
  const cats = rows.map((r) => label(r.system));
  const id = key.replace(/[^a-z0-9]/gi, '-');
  const fig = (title: string, suffix: string, values: (number | null)[], yLabel: string, f: (v: number) => string, yMax?: number) =>
    bars(SMALL, title, `${id}-${suffix}`, cats, [{ label: yLabel, color: PALETTE[0]!, values }], yLabel, yMax, f);
  return [
    fig('SLO compliance / Infer-Only', 'slo', rows.map((r) => r.sloVsInferOnly), 'ratio', (v) => v.toFixed(2), 1.1),
    fig(rows[0]?.workload === 'llm' ? 'TTFT P99 (ms)' : 'P99 latency (ms)', 'p99', rows.map((r) => r.p99Ms), 'ms', (v) => v.toFixed(1)),
    fig('training / SP-75', 'train', rows.map((r) => r.trainVsSp75), 'ratio', (v) => v.toFixed(2)),
    fig('wasted training compute (%)', 'waste', rows.map((r) => (r.wastedShare === null ? null : 100 * r.wastedShare)), '%', (v) => v.toFixed(2)),
  ].join('');
}

export function renderScaleMarkdown(r: ScaleReport): string {
  const out = [`Measured ${r.meta.date} on ${r.meta.machine || 'an unnamed machine'}.`, ''];
  for (const run of r.runs)
    out.push(`- ${run.workload} ${run.trace}: arena ${mib(run.arenaBytes)} in ${mib(run.pageBytes)} pages on ${run.device} (${run.backend}); ${run.durationS.toFixed(0)} s per system, ${run.requests} requests; inference ${run.inference}; training ${run.training}`);
  for (const g of groups(r.rows)) out.push('', `### ${g.workload === 'llm' ? 'LLM, Azure trace' : `vision, ${g.trace.toUpperCase()}`}`, '', groupTable(g.rows).md);
  const t = targets(r);
  if (t.length) out.push('', '### Targets', '', table(['target', 'measured', 'met'], t.map((c) => [c.target, c.measured, c.met === null ? 'not measured' : c.met ? 'yes' : 'no'])).md);
  if (r.meta.cut.length) out.push('', `Cut for time: ${r.meta.cut.join('; ')}`);
  return out.join('\n') + '\n';
}

export function renderScaleHtml(r: ScaleReport): string {
  const parts = [`<h1>handover: the evaluation at scale</h1><p>${esc(`Measured ${r.meta.date} on ${r.meta.machine || 'an unnamed machine'}.`)}</p><ul>`];
  for (const run of r.runs) parts.push(`<li>${esc(`${run.workload} ${run.trace}: arena ${mib(run.arenaBytes)}, ${run.durationS.toFixed(0)} s per system; inference ${run.inference}; training ${run.training}`)}<br><code>${esc(run.command)}</code></li>`);
  parts.push('</ul>');
  for (const g of groups(r.rows)) {
    parts.push(`<h2>${esc(g.workload === 'llm' ? 'LLM, Azure trace' : `Vision, ${g.trace.toUpperCase()}`)}</h2>`, groupTable(g.rows).html, `<div class="row">${groupFigures(g.key, g.rows)}</div>`);
    const tls = r.timelines.filter((t) => `${t.workload}/${t.trace}` === g.key).sort((a, b) => rank(a.system) - rank(b.system));
    parts.push(`<div class="row">${tls.map((t, i) => timelineSvg(t, `${g.key.replace(/[^a-z0-9]/gi, '-')}-mem-${i}`)).join('')}</div>`);
  }
  const t = targets(r);
  parts.push('<h2>Targets</h2>', table(['target', 'measured', 'met'], t.map((c) => [c.target, c.measured, c.met === null ? 'not measured' : c.met ? 'yes' : 'no'])).html);
  if (r.meta.cut.length) parts.push(`<p>${esc(`Cut for time: ${r.meta.cut.join('; ')}`)}</p>`);
  const style = 'body{font-family:system-ui,sans-serif;margin:2em;max-width:1700px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}.row{display:flex;flex-wrap:wrap;gap:8px}';
  return `<!doctype html><html><head><meta charset="utf-8"><title>handover: evaluation at scale</title><style>${style}</style></head><body>${parts.join('\n')}</body></html>\n`;
}
