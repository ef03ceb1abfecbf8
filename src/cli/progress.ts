// A progress line on stderr: redrawn in place on a terminal, one line per
// `every` updates otherwise (CI logs stay readable).
export class ProgressBar {
  private last = 0;
  private count = 0;
  constructor(private readonly label: string, private readonly every = 25) {}

  update(done: number, total: number, detail = ''): void {
    this.count++;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${detail}`;
    if (process.stderr.isTTY) {
      const now = Date.now();
      if (now - this.last < 80 && done < total) return;
      this.last = now;
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (this.count % this.every === 1 || done >= total) {
      process.stderr.write(`${line}\n`);
    }
  }

  done(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}
