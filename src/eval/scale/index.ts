// The evaluation at scale's one report: the runners' report.json files under a
// folder (each run of `handover run`, vision or LLM, in its own subfolder)
// read into one ScaleReport and written as scale-results.json,
// scale-report.html and scale-report.md (scripts/device-eval.sh calls it).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlmRunReport } from '../llm/result.js';
import type { RunReport } from '../result.js';
import { renderScaleHtml, renderScaleMarkdown } from './render.js';
import { scaleReport, type ScaleReport } from './schema.js';

export { scaleReport, fromLlm, fromVision, normalise, type ScaleReport, type ScaleRow, type Timeline } from './schema.js';
export { renderScaleHtml, renderScaleMarkdown, targets, type TargetCheck } from './render.js';

/** Every DIR/NAME/report.json (NAME in name order) as one report. */
export function collectScaleReport(dir: string, meta: { machine?: string; cut?: string; date?: string } = {}): ScaleReport {
  const reports: (RunReport | LlmRunReport)[] = [];
  for (const name of readdirSync(dir).sort()) {
    const f = join(dir, name, 'report.json');
    if (statSync(join(dir, name)).isDirectory() && existsSync(f)) reports.push(JSON.parse(readFileSync(f, 'utf8')) as RunReport | LlmRunReport);
  }
  const date = meta.date ?? reports.map((r) => r.meta.date).sort()[0] ?? new Date().toISOString();
  return scaleReport(reports, { date, machine: (meta.machine ?? '').trim(), cut: (meta.cut ?? '').split('\n').map((s) => s.trim()).filter(Boolean) });
}

/** OUT/scale-results.json, scale-report.html and scale-report.md (beside, not over, the runs' report.json). */
export function writeScaleReport(out: string, r: ScaleReport): { json: string; html: string; md: string } {
  mkdirSync(out, { recursive: true });
  const paths = { json: join(out, 'scale-results.json'), html: join(out, 'scale-report.html'), md: join(out, 'scale-report.md') };
  writeFileSync(paths.json, JSON.stringify(r, null, 1));
  writeFileSync(paths.html, renderScaleHtml(r));
  writeFileSync(paths.md, renderScaleMarkdown(r));
  return paths;
}

/** One run's report (either workload) as the scale report too, beside its report.json: every run speaks the one schema. */
export function writeRunScaleReport(out: string, report: RunReport | LlmRunReport): { json: string; html: string; md: string } {
  return writeScaleReport(out, scaleReport([report], { date: report.meta.date, machine: report.meta.device, cut: [] }));
}
