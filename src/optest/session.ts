// A conformance session: one arena and one ModelStore on a device for all the
// tables given (kernels compile once; every case's model is small).
import { Arena } from '../core/arena.js';
import type { GpuDevice } from '../core/device.js';
import { ModelStore } from '../infer/store.js';
import { runTest, summarize, type Summary, type TestResult } from './runner.js';
import { readTable, tableFiles } from './table.js';

export interface SessionResult {
  results: TestResult[];
  summary: Summary;
}

export async function runTables(device: GpuDevice, paths: string[], onTest?: (r: TestResult) => void): Promise<SessionResult> {
  const files = tableFiles(paths);
  const tests = files.flatMap(readTable);
  // small pages on a software device; the default 2 MiB (CUDA's VMM granularity) elsewhere
  const arena = new Arena(device, device.info.software ? { bytes: 32 << 20, pageBytes: 64 << 10 } : { bytes: 64 << 20 });
  try {
    // poison: an output element the kernels forget to write reads as NaN and fails
    const store = new ModelStore(arena, { poison: true });
    const results: TestResult[] = [];
    for (const t of tests) {
      const r = await runTest(store, t);
      results.push(r);
      onTest?.(r);
    }
    return { results, summary: summarize(files.length, results) };
  } finally {
    arena.destroy();
  }
}
