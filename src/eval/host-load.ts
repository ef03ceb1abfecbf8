// What else the host did while a system played its trace: the CPU that other
// processes used and that the hypervisor stole (Linux's /proc/stat), beside
// this process's own (process.cpuUsage), sampled once a second. A system
// whose run met a busy host is slower for the whole run, which the paired
// interval of paired.ts cannot see; this says when it happened, so a round
// that lost to another process is not read as a round the system lost.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface HostLoadReport {
  /** Logical CPUs of the host. */
  cores: number;
  /** Cores' worth of CPU used by other processes, mean over the run. */
  otherCores: number;
  /** The busiest second's. */
  otherCoresMax: number;
  /** Cores' worth used by this process, mean over the run. */
  ownCores: number;
  /** Share of the host's CPU time the hypervisor gave to other machines (0..1). */
  stealShare: number;
  /** Other processes' cores, second by second. */
  perSecond: number[];
  /** The hypervisor's share, second by second (absent in older results). */
  stealPerSecond?: number[];
}

/** The first line of /proc/stat: every CPU's ticks, summed. */
export interface CpuTicks {
  busy: number;
  steal: number;
  total: number;
}

const STAT = '/proc/stat';

export function readTicks(): CpuTicks | null {
  let text: string;
  try {
    text = readFileSync(STAT, 'utf8');
  } catch {
    return null;
  }
  const head = text.slice(0, text.indexOf('\n')).trim().split(/\s+/);
  if (head[0] !== 'cpu') return null;
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = head.slice(1, 9).map(Number);
  if (![user, nice, system, idle, iowait, irq, softirq, steal].every((x) => Number.isFinite(x))) return null;
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy, steal: steal!, total: busy + idle! + iowait! + steal! };
}

/** Cores' worth busy between two readings, and this process's part, over `ms`. */
function share(a: CpuTicks, b: CpuTicks, cores: number, ownUs: number, ms: number): { other: number; steal: number } {
  const total = b.total - a.total;
  if (total <= 0 || ms <= 0) return { other: 0, steal: 0 };
  const all = (cores * (b.busy - a.busy)) / total;
  return { other: Math.max(0, all - ownUs / 1000 / ms), steal: (b.steal - a.steal) / total };
}

/** Where the readings come from: the host's, unless a test gives its own. */
export interface HostLoadSource {
  periodMs?: number;
  ticks?: () => CpuTicks | null;
  /** This process's CPU time so far, microseconds. */
  ownUs?: () => number;
  now?: () => number;
  cores?: number;
}

/** Samples the host's CPU once a second from start() to stop(); null where /proc/stat is missing (not Linux). */
export class HostLoad {
  private first: { ticks: CpuTicks; own: number; at: number } | null = null;
  private last: { ticks: CpuTicks; own: number; at: number } | null = null;
  private readonly perSecond: number[] = [];
  private readonly stealPerSecond: number[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly cores: number;
  private readonly source: Required<HostLoadSource>;

  constructor(source: HostLoadSource = {}) {
    this.source = {
      periodMs: 1000,
      ticks: readTicks,
      ownUs: () => {
        const u = process.cpuUsage();
        return u.user + u.system;
      },
      now: () => performance.now(),
      cores: cpus().length || 1,
      ...source,
    };
    this.cores = this.source.cores;
  }

  private reading(): { ticks: CpuTicks; own: number; at: number } | null {
    const ticks = this.source.ticks();
    return ticks ? { ticks, own: this.source.ownUs(), at: this.source.now() } : null;
  }

  start(): void {
    this.first = this.last = this.reading();
    if (!this.first) return;
    this.timer = setInterval(() => this.tick(), this.source.periodMs);
    this.timer.unref?.();
  }

  /** One sample (the timer's; tests call it with a fake source). */
  tick(): void {
    const now = this.reading();
    if (!now || !this.last) return;
    const s = share(this.last.ticks, now.ticks, this.cores, now.own - this.last.own, now.at - this.last.at);
    this.perSecond.push(s.other);
    this.stealPerSecond.push(s.steal);
    this.last = now;
  }

  stop(): HostLoadReport | null {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const end = this.reading();
    if (!this.first || !end) return null;
    const ms = end.at - this.first.at;
    const whole = share(this.first.ticks, end.ticks, this.cores, end.own - this.first.own, ms);
    return {
      cores: this.cores,
      otherCores: whole.other,
      otherCoresMax: Math.max(whole.other, ...this.perSecond),
      ownCores: ms > 0 ? (end.own - this.first.own) / 1000 / ms : 0,
      stealShare: whole.steal,
      perSecond: this.perSecond.map((x) => Math.round(x * 100) / 100),
      stealPerSecond: this.stealPerSecond.map((x) => Math.round(x * 1e4) / 1e4),
    };
  }
}

/** A stolen share as text, to a hundredth of a percent: 0.3% is the line a run crosses (BUSY_HOST_STEAL). */
export function stolenText(share: number): string {
  return `${(100 * share).toFixed(2)}%`;
}

/** Other processes' mean load above which a run counts as one that shared its host. */
export const BUSY_HOST_CORES = 0.25;
/**
 * The hypervisor's share above which a run counts as one that shared its
 * host. On this project's 2-core VM, compliance fell about 4.5 points per 1%
 * stolen over a run (docs/time-slicing.md, round 8): 0.3% is a point and more.
 */
export const BUSY_HOST_STEAL = 0.003;

/** Whether a run's host was shared enough to move its compliance. */
export function sharedHostRun(otherCores: number | undefined, stealShare: number | undefined): boolean {
  return (otherCores ?? 0) >= BUSY_HOST_CORES || (stealShare ?? 0) >= BUSY_HOST_STEAL;
}

/** `host CPU: other processes 0.03 cores (busiest second 0.41), stolen 0.10%, this process 1.22 of 2 cores`, for the run's log. */
export function hostLoadLine(h: HostLoadReport | null | undefined): string {
  if (!h) return 'host CPU: not measured (no /proc/stat)';
  const busy = sharedHostRun(h.otherCores, h.stealShare) ? ': this run shared its host' : '';
  return `host CPU: other processes ${h.otherCores.toFixed(2)} cores (busiest second ${h.otherCoresMax.toFixed(2)}), stolen ${stolenText(h.stealShare)}, this process ${h.ownCores.toFixed(2)} of ${h.cores} cores${busy}`;
}
