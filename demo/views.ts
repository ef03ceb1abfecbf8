// The live views: canvases redrawn from snapshots of the system state.
import type { DemoSystem } from './system.js';

const COLORS = { train: [59, 111, 216], infer: [232, 131, 58], reserve: [242, 201, 76], free: [213, 217, 222] } as const;
type Kind = keyof typeof COLORS;

/** Owner per page as the strip shows it: the scheduler's free reserve is painted on free pages. */
export function pageKinds(s: DemoSystem): Kind[] {
  const { arena } = s;
  let reservePages = Math.round(s.core.freeBytes / arena.pageBytes);
  const out: Kind[] = [];
  for (let p = 0; p < arena.pageCount; p++) {
    const o = arena.pageOwner(p);
    if (o === 'free' && reservePages > 0) {
      out.push('reserve');
      reservePages--;
    } else out.push(o);
  }
  return out;
}

export class ArenaStrip {
  private shown: number[][] = [];
  constructor(private readonly canvas: HTMLCanvasElement) {}

  draw(kinds: Kind[]): void {
    const ctx = this.canvas.getContext('2d')!;
    const w = this.canvas.width / kinds.length;
    kinds.forEach((k, i) => {
      const target = COLORS[k];
      const cur = this.shown[i] ?? [...target];
      // Ease towards the new colour so a page that changes owner is seen moving.
      for (let c = 0; c < 3; c++) cur[c] = cur[c]! + (target[c]! - cur[c]!) * 0.25;
      this.shown[i] = cur;
      ctx.fillStyle = `rgb(${cur.map(Math.round).join(',')})`;
      ctx.fillRect(i * w + 1, 4, Math.max(1, w - 2), this.canvas.height - 8);
    });
    this.canvas.dataset.kinds = kinds.map((k) => k[0]).join('');
  }
}

export function drawSeries(canvas: HTMLCanvasElement, series: { values: number[]; color: string; label: string }[], spanLabel: string): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui';
  series.forEach((s, k) => {
    const vals = s.values.filter(Number.isFinite);
    if (vals.length < 2) return;
    const max = Math.max(...vals) * 1.1 || 1;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const x = (i / (s.values.length - 1)) * (W - 10) + 5;
      const y = H - 18 - (v / max) * (H - 30);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    const digits = s.label.startsWith('loss') ? 3 : 0;
    ctx.fillText(`${s.label}: ${vals[vals.length - 1]!.toFixed(digits)} (max ${(max / 1.1).toFixed(digits)})`, 8 + k * 190, 14);
  });
  ctx.fillStyle = '#888';
  ctx.fillText(spanLabel, W - 90, H - 4);
}

export function drawLatency(canvas: HTMLCanvasElement, ms: number[], slo: number): { compliance: number; p50: number; p99: number } {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui';
  if (ms.length === 0) {
    ctx.fillStyle = '#888';
    ctx.fillText('no requests yet: move the slider or press Burst', 10, H / 2);
    return { compliance: NaN, p50: NaN, p99: NaN };
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const max = Math.max(sorted[sorted.length - 1]!, slo) * 1.05;
  const bins = 40;
  const counts = new Array<number>(bins).fill(0);
  for (const v of ms) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]!++;
  const top = Math.max(...counts);
  const bw = (W - 10) / bins;
  counts.forEach((c, i) => {
    ctx.fillStyle = (i + 0.5) * (max / bins) <= slo ? '#4a9d5b' : '#c9503c';
    const h = (c / top) * (H - 34);
    ctx.fillRect(5 + i * bw, H - 18 - h, bw - 1, h);
  });
  const x = 5 + (slo / max) * (W - 10);
  ctx.strokeStyle = '#1d232a';
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(x, 16);
  ctx.lineTo(x, H - 18);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = '#1d232a';
  ctx.fillText(`SLO ${slo} ms`, Math.min(x + 4, W - 80), 28);
  ctx.fillText(`0`, 5, H - 4);
  ctx.fillText(`${max.toFixed(0)} ms`, W - 60, H - 4);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { compliance: sorted.filter((v) => v <= slo).length / sorted.length, p50: q(0.5), p99: q(0.99) };
}
