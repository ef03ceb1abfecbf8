// Writes the LLM run's report: report.json (everything measured) and
// report.html, and the headline object printed last with --json.
import { writeReportFiles } from '../report.js';
import { renderLlmReport } from './report-html.js';
import type { LlmRunReport } from './result.js';

export function writeLlmReport(dir: string, report: LlmRunReport): { json: string; html: string } {
  return writeReportFiles(dir, report, renderLlmReport);
}

export interface LlmHeadline {
  ttftCompliance: number;
  tbtCompliance: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  tbtP50Ms: number;
  tbtP99Ms: number;
  trainSamplesPerSec: number;
  completed: number;
  failed: number;
  requires: number;
  releases: number;
  peakKvPages: number;
  kvCapPages: number | null;
}

/** The last stdout line with --json: per system, the headline numbers. */
export function llmHeadline(report: LlmRunReport): Record<string, LlmHeadline> {
  const out: Record<string, LlmHeadline> = {};
  for (const [name, s] of Object.entries(report.systems)) {
    if (!s) continue;
    out[name] = {
      ttftCompliance: s.ttftCompliance, tbtCompliance: s.tbtCompliance, ttftP50Ms: s.ttft.p50, ttftP99Ms: s.ttft.p99, tbtP50Ms: s.tbt.p50, tbtP99Ms: s.tbt.p99,
      trainSamplesPerSec: s.trainSamplesPerSec, completed: s.completed, failed: s.failed, requires: s.requires, releases: s.releases, peakKvPages: s.peakKvPages, kvCapPages: s.kvCapPages,
    };
  }
  return out;
}

/** The paper's comparison points: compliance as a fraction of Infer-Only's, training vs SP-75's. */
export function comparisons(report: LlmRunReport): Record<string, { ttftVsInferOnly: number | null; tbtVsInferOnly: number | null; trainVsSp75: number | null }> {
  const io = report.systems['infer-only'];
  const sp75 = report.systems.sp75;
  const ratio = (a: number, b: number | undefined) => (b === undefined || !(b > 0) ? null : a / b);
  const out: ReturnType<typeof comparisons> = {};
  for (const [name, s] of Object.entries(report.systems)) {
    if (!s) continue;
    out[name] = { ttftVsInferOnly: ratio(s.ttftCompliance, io?.ttftCompliance), tbtVsInferOnly: ratio(s.tbtCompliance, io?.tbtCompliance), trainVsSp75: ratio(s.trainSamplesPerSec, sp75?.trainSamplesPerSec) };
  }
  return out;
}
