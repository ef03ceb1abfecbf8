// A suite list says, per backend, which operator tests are expected to pass
// and why each other one does not. checkSuite() compares a run with it both
// ways: an expected pass that fails, and a listed failure that now passes (or
// fails differently), are problems, so the list stays true.
import type { TestResult, Verdict } from './runner.js';

export interface NotPassing {
  /** What the run reports for the listed cases. */
  verdict: Exclude<Verdict, 'pass'>;
  reason: string;
  /** The cases this applies to; omitted: all of the test's cases. Other cases must pass. */
  cases?: string[];
}

export interface BackendSuite {
  /** Test ids ("file: name") whose every case is expected to pass. */
  pass: string[];
  notPassing: Record<string, NotPassing>;
}

export function checkSuite(results: TestResult[], suite: BackendSuite): string[] {
  const problems: string[] = [];
  const pass = new Set(suite.pass);
  for (const id of pass) if (suite.notPassing[id]) problems.push(`${id}: listed both as passing and as not passing`);
  for (const r of results) {
    const np = suite.notPassing[r.id];
    if (!pass.has(r.id) && !np) {
      problems.push(`${r.id}: not in the suite list (verdict ${r.verdict}); add it to pass or notPassing`);
      continue;
    }
    const listed = np ? new Set(np.cases ?? r.cases.map((c) => c.name)) : new Set<string>();
    for (const c of r.cases) {
      const want: Verdict = np && listed.has(c.name) ? np.verdict : 'pass';
      if (c.verdict === want) continue;
      const why = c.detail ? `: ${c.detail}` : '';
      if (want === 'pass') problems.push(`${r.id} [${c.name}]: expected to pass, got ${c.verdict}${why}`);
      else if (c.verdict === 'pass') problems.push(`${r.id} [${c.name}]: listed as ${want} (${np!.reason}) but now passes; move it to the pass list`);
      else problems.push(`${r.id} [${c.name}]: listed as ${want} (${np!.reason}), got ${c.verdict}${why}`);
    }
    for (const name of np?.cases ?? []) if (!r.cases.some((c) => c.name === name)) problems.push(`${r.id}: listed case '${name}' does not exist`);
  }
  const seen = new Set(results.map((r) => r.id));
  for (const id of [...pass, ...Object.keys(suite.notPassing)]) if (!seen.has(id)) problems.push(`${id}: in the suite list but not in the tables`);
  return problems;
}
