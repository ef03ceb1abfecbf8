// Writes the run's report: report.json (everything measured) and report.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from './report-html.js';
import type { RunReport } from './result.js';

/** DIR/report.json (everything measured) and DIR/report.html (render's page). */
export function writeReportFiles<R>(dir: string, report: R, render: (r: R) => string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, JSON.stringify(report, null, 1));
  writeFileSync(html, render(report));
  return { json, html };
}

export function writeReport(dir: string, report: RunReport): { json: string; html: string } {
  return writeReportFiles(dir, report, renderReport);
}

/** The last stdout line with --json: per system, the headline numbers. */
export function headline(report: RunReport): Record<string, { sloCompliance: number; p99Ms: number; p50Ms: number; warmP99Ms: number | null; trainSamplesPerSec: number; coldStartRatio: number; handovers: number; predictedCompliance: number | null }> {
  const out: ReturnType<typeof headline> = {};
  for (const [name, s] of Object.entries(report.systems))
    out[name] = { sloCompliance: s.sloCompliance, p99Ms: s.p99Ms, p50Ms: s.p50Ms, warmP99Ms: s.warmP99Ms, trainSamplesPerSec: s.trainSamplesPerSec, coldStartRatio: s.coldStartRatio, handovers: s.handovers.count, predictedCompliance: s.predictedCompliance };
  return out;
}
