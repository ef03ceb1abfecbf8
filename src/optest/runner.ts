// Runs operator tests on the engine: each case's one-node model is registered
// with the ModelStore from bytes (the path real models take), run, compared,
// and unloaded. Errors become results; nothing a table holds crashes the run.
import { HandoverError } from '../core/errors.js';
import { InputError, ModelError } from '../onnx/errors.js';
import { gpuOps } from '../infer/ops/index.js';
import type { ModelStore } from '../infer/store.js';
import { firstMismatch } from './compare.js';
import { UnsupportedTestError } from './errors.js';
import { caseModel, testUnsupported } from './model.js';
import type { OpTest } from './table.js';

export type Verdict = 'pass' | 'fail' | 'unsupported';

export interface CaseResult {
  name: string;
  verdict: Verdict;
  /** The first mismatch, the error, or why it is unsupported. */
  detail?: string;
}

export interface TestResult {
  id: string;
  file: string;
  operator: string;
  /** fail if any case fails, else unsupported if any case is, else pass. */
  verdict: Verdict;
  cases: CaseResult[];
}

export interface Summary {
  files: number;
  tests: number;
  cases: number;
  passed: number;
  failed: number;
  unsupported: number;
}

let serial = 0;

function verdictOf(cases: CaseResult[]): Verdict {
  if (cases.some((c) => c.verdict === 'fail')) return 'fail';
  return cases.some((c) => c.verdict === 'unsupported') ? 'unsupported' : 'pass';
}

/** Why the device cannot run the op at all (a backend without its kernels: CUDA has the training set only). */
async function kernelsMissing(store: ModelStore, op: string): Promise<string | undefined> {
  const kernels = gpuOps[op]?.kernels ?? [];
  const dev = store.arena.device;
  try {
    await dev.prepare(kernels);
    return undefined;
  } catch (e) {
    return `the ${dev.info.backend} backend cannot prepare ${op}'s kernels (${kernels.join(', ')}): ${e instanceof Error ? e.message : String(e)}`;
  }
}

export async function runTest(store: ModelStore, t: OpTest): Promise<TestResult> {
  const whole = testUnsupported(t) ?? (await kernelsMissing(store, t.operator));
  const models = new Map<string, string>();
  const cases: CaseResult[] = [];
  for (const c of t.cases) {
    if (whole) {
      cases.push({ name: c.name, verdict: 'unsupported', detail: whole });
      continue;
    }
    cases.push(await runCase(store, t, c, models));
  }
  for (const name of models.values()) await store.unload(name).catch(() => undefined);
  return { id: t.id, file: t.file, operator: t.operator, verdict: verdictOf(cases), cases };
}

async function runCase(store: ModelStore, t: OpTest, c: OpTest['cases'][number], models: Map<string, string>): Promise<CaseResult> {
  const result = (verdict: Verdict, detail?: string): CaseResult => ({ name: c.name, verdict, ...(detail ? { detail } : {}) });
  try {
    const m = caseModel(t, c);
    let name = models.get(m.key);
    if (!name) {
      name = `optest-${++serial}`;
      store.registerBytes(name, m.bytes, `${t.id} [${c.name}]`);
      models.set(m.key, name);
    }
    const out = await store.run(name, m.feeds);
    const mismatch = firstMismatch(m.outputNames.map((o) => out[o]!), c.outputs);
    return mismatch ? result('fail', mismatch) : result('pass');
  } catch (e) {
    if (e instanceof UnsupportedTestError) return result('unsupported', e.reason);
    // The engine refusing a valid model is a limitation it states, not a wrong answer.
    if (e instanceof ModelError) return result('unsupported', e.reason);
    if (e instanceof InputError || e instanceof HandoverError) return result('fail', `${e.name}: ${e.message}`);
    return result('fail', `error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function summarize(files: number, results: TestResult[]): Summary {
  const all = results.flatMap((r) => r.cases);
  const count = (v: Verdict) => all.filter((c) => c.verdict === v).length;
  return { files, tests: results.length, cases: all.length, passed: count('pass'), failed: count('fail'), unsupported: count('unsupported') };
}

/** One line per test: pass, fail with the first mismatch, or unsupported with the reason. */
export function describe(r: TestResult): string {
  const n = `${r.cases.length} case${r.cases.length === 1 ? '' : 's'}`;
  if (r.verdict === 'pass') return `pass         ${r.id} (${n})`;
  const bad = r.cases.filter((c) => c.verdict === r.verdict);
  return `${r.verdict.padEnd(12)} ${r.id} (${bad.length} of ${n}): case '${bad[0]!.name}': ${bad[0]!.detail ?? ''}`;
}
