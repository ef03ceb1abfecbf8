// Small inline-SVG plots for the report: axes, lines, bars and stacked areas,
// no scripts and no external files (the page is self-contained).

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const FRAME: Frame = { width: 760, height: 300, left: 60, right: 175, top: 30, bottom: 40 };

export type Scale = (v: number) => number;

export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export function log10Scale(d0: number, d1: number, r0: number, r1: number): Scale {
  const [a, b] = [Math.log10(Math.max(d0, 1e-6)), Math.log10(Math.max(d1, d0 * 1.0001, 1e-6))];
  return (v) => r0 + ((Math.log10(Math.max(v, 1e-6)) - a) / (b - a || 1)) * (r1 - r0);
}

/** Tick values: round steps for a linear axis, decades (1, 2, 5) for a log axis. */
export function ticks(d0: number, d1: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(Math.max(d0, 1e-6))); e <= Math.ceil(Math.log10(d1)); e++)
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= d0 && v <= d1) out.push(v);
      }
    return out;
  }
  const raw = (d1 - d0) / 5 || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(d0 / step) * step; v <= d1 + 1e-9; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  return a >= 10 ? v.toFixed(0) : a >= 1 ? v.toFixed(1).replace(/\.0$/, '') : v.toPrecision(2);
}

export function axes(f: Frame, x: { scale: Scale; ticks: number[]; label: string; fmt?: (v: number) => string }, y: { scale: Scale; ticks: number[]; label: string; fmt?: (v: number) => string }): string {
  const x0 = f.left;
  const x1 = f.width - f.right;
  const y0 = f.height - f.bottom;
  const y1 = f.top;
  const parts = [`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#333"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#333"/>`];
  for (const v of x.ticks) {
    const px = x.scale(v).toFixed(1);
    parts.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y1}" stroke="#eee"/><text x="${px}" y="${y0 + 15}" text-anchor="middle" font-size="11">${esc((x.fmt ?? fmt)(v))}</text>`);
  }
  for (const v of y.ticks) {
    const py = y.scale(v).toFixed(1);
    parts.push(`<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#eee"/><text x="${x0 - 6}" y="${py}" text-anchor="end" dominant-baseline="middle" font-size="11">${esc((y.fmt ?? fmt)(v))}</text>`);
  }
  parts.push(`<text x="${(x0 + x1) / 2}" y="${f.height - 6}" text-anchor="middle" font-size="12">${esc(x.label)}</text>`);
  parts.push(`<text x="14" y="${(y0 + y1) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(y0 + y1) / 2})">${esc(y.label)}</text>`);
  return parts.join('');
}

export function polyline(points: [number, number][], color: string, width = 2, dash = ''): string {
  const d = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${d}"/>`;
}

export function legend(f: Frame, items: { label: string; color: string; dash?: string }[]): string {
  const x = f.width - f.right + 12;
  return items
    .map((it, i) => {
      const y = f.top + 10 + i * 18;
      return `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${it.color}" stroke-width="3"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/><text x="${x + 24}" y="${y}" dominant-baseline="middle" font-size="12">${esc(it.label)}</text>`;
    })
    .join('');
}

export function svg(f: Frame, title: string, body: string, id: string): string {
  return `<svg id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="system-ui, sans-serif"><text x="${f.left}" y="18" font-size="14" font-weight="600">${esc(title)}</text>${body}</svg>`;
}

/** Grouped bars: one group per category, one bar per series. */
export function bars(f: Frame, title: string, id: string, categories: string[], series: { label: string; color: string; values: (number | null)[] }[], yLabel: string, yMax?: number, valueFmt: (v: number) => string = fmt, tickFmt: (v: number) => string = fmt): string {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const top = yMax ?? (Math.max(0, ...all) > 0 ? Math.max(...all) * 1.15 : 1);
  const y = linear(0, top, f.height - f.bottom, f.top);
  const x0 = f.left;
  const groupW = (f.width - f.right - f.left) / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const parts = [axes(f, { scale: () => -100, ticks: [], label: 'system' }, { scale: y, ticks: ticks(0, top, false), label: yLabel, fmt: tickFmt })];
  categories.forEach((c, i) => {
    const gx = x0 + i * groupW + groupW * 0.1;
    parts.push(`<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${f.height - f.bottom + 16}" text-anchor="middle" font-size="12">${esc(c)}</text>`);
    series.forEach((s, k) => {
      const v = s.values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const bx = gx + k * barW;
      const by = y(v);
      parts.push(`<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(f.height - f.bottom - by).toFixed(1)}" fill="${s.color}"><title>${esc(`${c} ${s.label}: ${valueFmt(v)}`)}</title></rect>`);
      parts.push(`<text x="${(bx + barW / 2).toFixed(1)}" y="${(by - 4).toFixed(1)}" text-anchor="middle" font-size="10">${esc(valueFmt(v))}</text>`);
    });
  });
  parts.push(legend(f, series.map((s) => ({ label: s.label, color: s.color }))));
  return svg(f, title, parts.join(''), id);
}

/** An empirical CDF as plot points (at most ~400 of them), on scales x and y. */
export function cdfPoints(values: readonly number[], x: (v: number) => number, y: (v: number) => number): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const step = Math.max(1, Math.floor(n / 400));
  const pts: [number, number][] = [];
  for (let k = 0; k < n; k += step) pts.push([x(sorted[k]!), y((k + 1) / n)]);
  if (n) pts.push([x(sorted[n - 1]!), y(1)]);
  return pts;
}
