// The demo's charts on a 2D canvas, each with labelled axes and one unit per
// axis: stacked panels (one quantity each, sharing the x axis) and a latency
// histogram with its SLO line.

export interface Panel {
  values: number[];
  color: string;
  /** The y axis title with its unit, e.g. "throughput (samples/s)". */
  label: string;
  digits: number;
}

const AXIS = '#1d232a';
const GRID = '#e6e8eb';
const LEFT = 58;
const BOTTOM = 30;

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * mag).find((m) => m >= v)!;
}

function yAxis(ctx: CanvasRenderingContext2D, top: number, bottom: number, right: number, max: number, digits: number, label: string): void {
  ctx.strokeStyle = AXIS;
  ctx.beginPath();
  ctx.moveTo(LEFT, top);
  ctx.lineTo(LEFT, bottom);
  ctx.stroke();
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = AXIS;
  for (const f of [0, 0.5, 1]) {
    const y = bottom - f * (bottom - top);
    ctx.strokeStyle = GRID;
    ctx.beginPath();
    ctx.moveTo(LEFT + 1, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    const v = f * max;
    ctx.fillText(digits === 0 && !Number.isInteger(v) ? v.toFixed(1) : v.toFixed(digits), LEFT - 4, y);
  }
  ctx.save();
  ctx.font = '10px system-ui';
  ctx.translate(12, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(label, 0, 0);
  ctx.restore();
}

function xAxis(ctx: CanvasRenderingContext2D, y: number, right: number, ticks: [number, string][], label: string, W: number, H: number): void {
  ctx.strokeStyle = AXIS;
  ctx.beginPath();
  ctx.moveTo(LEFT, y);
  ctx.lineTo(right, y);
  ctx.stroke();
  ctx.fillStyle = AXIS;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ticks.forEach(([x, text], i) => {
    ctx.textAlign = i === 0 ? 'left' : i === ticks.length - 1 ? 'right' : 'center';
    ctx.fillText(text, x, y + 3);
  });
  ctx.textAlign = 'center';
  ctx.fillText(label, (LEFT + W) / 2, H - 12);
}

/** One panel per quantity, stacked, sharing an x axis of `points` steps labelled `xLabel`. */
export function drawPanels(canvas: HTMLCanvasElement, panels: Panel[], xLabel: string): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui';
  const right = W - 8;
  const h = (H - BOTTOM - 6) / panels.length;
  const n = Math.max(2, ...panels.map((p) => p.values.length));
  const px = (i: number) => LEFT + (i / (n - 1)) * (right - LEFT);
  panels.forEach((p, k) => {
    const top = 6 + k * h + 6;
    const bottom = 6 + (k + 1) * h - 4;
    const vals = p.values.filter(Number.isFinite);
    const max = niceMax(Math.max(0, ...vals));
    yAxis(ctx, top, bottom, right, max, p.digits, p.label);
    if (vals.length < 2) return;
    ctx.strokeStyle = p.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    p.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const y = bottom - (v / max) * (bottom - top);
      if (started) ctx.lineTo(px(i), y);
      else ctx.moveTo(px(i), y);
      started = true;
    });
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = p.color;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(`now ${vals[vals.length - 1]!.toFixed(p.digits)}`, right, top);
  });
  xAxis(ctx, H - BOTTOM, right, [[px(0), `${n - 1} steps ago`], [px(n - 1), 'now']], xLabel, W, H);
}

/** A histogram of request latencies (ms) with the SLO line; returns compliance and percentiles. */
export function drawLatencyHistogram(canvas: HTMLCanvasElement, ms: number[], slo: number): { compliance: number; p50: number; p99: number } {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui';
  const right = W - 8;
  const top = 10;
  const bottom = H - BOTTOM;
  if (ms.length === 0) {
    ctx.fillStyle = '#888';
    ctx.fillText('no requests yet: move the slider or press Burst', LEFT, H / 2);
    return { compliance: NaN, p50: NaN, p99: NaN };
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const max = niceMax(Math.max(sorted[sorted.length - 1]!, slo) * 1.02);
  const bins = 40;
  const counts = new Array<number>(bins).fill(0);
  for (const v of ms) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]!++;
  const yMax = niceMax(Math.max(...counts));
  yAxis(ctx, top, bottom, right, yMax, 0, 'requests');
  const bw = (right - LEFT) / bins;
  counts.forEach((c, i) => {
    ctx.fillStyle = (i + 0.5) * (max / bins) <= slo ? '#4a9d5b' : '#c9503c';
    const h = (c / yMax) * (bottom - top);
    ctx.fillRect(LEFT + 1 + i * bw, bottom - h, bw - 1, h);
  });
  const x = LEFT + (slo / max) * (right - LEFT);
  ctx.strokeStyle = AXIS;
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(x, top);
  ctx.lineTo(x, bottom);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = AXIS;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`SLO ${slo} ms`, Math.min(x + 4, right - 70), top);
  const ticks: [number, string][] = [0, 0.25, 0.5, 0.75, 1].map((f) => [LEFT + f * (right - LEFT), (f * max).toFixed(max < 10 ? 1 : 0)]);
  xAxis(ctx, bottom, right, ticks, 'latency (ms)', W, H);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { compliance: sorted.filter((v) => v <= slo).length / sorted.length, p50: q(0.5), p99: q(0.99) };
}
