// Operator conformance: onnxruntime-web's own operator test tables
// (../shared/optests, read by path) run on the WebGPU engine, checked against
// test/optest-suite.ts both ways: an expected pass that fails, and a listed
// failure that starts to pass, fail this test.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTables } from '../src/optest/session.js';
import { checkSuite } from '../src/optest/suite.js';
import { defaultTableDir } from '../src/optest/table.js';
import { optestSuite } from './optest-suite.js';
import { testDevice } from './helpers/gpu.js';

const dir = defaultTableDir();
const present = existsSync(dir);
if (!present) console.warn(`optest: skipped, the operator test tables are absent (${dir}; set HANDOVER_OPTESTS to their folder)`);

describe.skipIf(!present)('operator conformance on WebGPU (onnxruntime-web tables)', () => {
  it('every case runs as the suite list says', async () => {
    const { results, summary } = await runTables(await testDevice(), [dir]);
    console.log(`optest webgpu: ${JSON.stringify(summary)}`);
    expect(checkSuite(results, optestSuite.webgpu)).toEqual([]);
  }, 170_000);
});
