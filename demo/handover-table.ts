// Rows of the demo's handover table. Columns, each with one unit: time (s),
// event, memory (MiB), gate close (ms), discard (ms), reclaim + zero (ms),
// load (ms), total (ms), micro-batch (samples). A require that free pages
// satisfied took nothing from training, so its handover steps show "–"; a
// cold start is a load (its time under load, not under reclaim + zero).
import type { SchedEvent } from '../src/sched/events.js';
import type { HandoverReport } from '../src/train/trainer.js';

const NONE = '–';

/** Milliseconds as the table shows them: "<0.01" rather than a 0.00 that reads as a bug. */
export function msText(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return NONE;
  return v < 0.005 ? '<0.01' : v.toFixed(2);
}

const MiB = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

function row(cells: string[], className = ''): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (className) tr.className = className;
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  return tr;
}

/** The cells of one REQUIRE of training memory. */
export function handoverCells(r: HandoverReport, tS: number): string[] {
  if (r.freedBytes <= 0)
    return [tS.toFixed(1), 'require: free pages sufficed (no handover)', MiB(r.requestedBytes), NONE, NONE, NONE, NONE, msText(r.totalMs), String(r.microBatch)];
  return [
    tS.toFixed(1), `handover: training gave ${MiB(r.freedBytes)} MiB${r.discarded ? ', micro-batch discarded' : ''}`, MiB(r.requestedBytes),
    msText(r.closeMs), r.discarded ? msText(r.discardMs) : NONE, msText(r.reclaimMs), NONE, msText(r.totalMs), String(r.microBatch),
  ];
}

export function handoverRow(r: HandoverReport, tS: number): HTMLTableRowElement {
  const tr = row(handoverCells(r, tS), r.freedBytes > 0 ? 'handover' : '');
  tr.dataset.totalMs = String(r.totalMs);
  return tr;
}

/** The cells of a scheduler event the table shows (a load is a cold start; releases and idle expiries give memory back), or null. */
export function eventCells(e: SchedEvent): string[] | null {
  const t = (e.t / 1000).toFixed(1);
  if (e.kind === 'load') return [t, `cold start: load ${e.model ?? ''}`.trim(), MiB(e.bytes), NONE, NONE, NONE, msText(e.ms), msText(e.ms), NONE];
  if (e.kind === 'release' || e.kind === 'idle') return [t, `${e.kind === 'idle' ? `${e.model ?? 'model'} idle` : 'reserve trimmed'}: memory back to training`, MiB(e.bytes), NONE, NONE, NONE, NONE, msText(e.ms), NONE];
  return null;
}

export function eventRow(e: SchedEvent): HTMLTableRowElement | null {
  const cells = eventCells(e);
  if (!cells) return null;
  const tr = row(cells, e.kind === 'load' ? 'load' : 'release');
  tr.title = e.reason; // the scheduler's reason, on hover
  return tr;
}
