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
