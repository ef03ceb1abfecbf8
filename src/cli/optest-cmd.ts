// `handover optest PATH... [--backend webgpu|cuda] [--json]`: runs
// onnxruntime-web's operator test tables (a file or a folder of .jsonc) on the
// engine; one line per test, and with --json a summary counted in cases.
import { UsageError } from '../core/errors.js';
import { describe } from '../optest/runner.js';
import { runTables } from '../optest/session.js';
import { defaultTableDir, readTable, tableFiles } from '../optest/table.js';
import { parseFlags, usage, type FlagSpec } from './args.js';
import { openDevice } from './open-device.js';
import { printJson } from './output.js';

const spec: FlagSpec = {
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, files, tests, cases, passed, failed, unsupported} counted in cases; the per-test lines go to stderr' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

const USAGE = 'optest PATH... (files or folders of .jsonc; default: ../shared/optests)';

export async function optestCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, spec);
  if (flags.help) {
    console.log(usage(USAGE, spec));
    return 0;
  }
  const files = tableFiles(rest.length > 0 ? rest : [defaultTableDir()]);
  if (files.length === 0) throw new UsageError(`no .jsonc files in ${rest.join(', ') || defaultTableDir()}\n${usage(USAGE, spec)}`);
  for (const f of files) readTable(f); // a file that is not a table fails here, before the device opens
  const dev = await openDevice(String(flags.backend), (l) => console.error(l));
  try {
    const { summary } = await runTables(dev, files, (r) => console.log(describe(r)));
    if (flags.json) printJson(dev, dev.info.backend, { ...summary });
    else console.log(`${summary.cases} cases in ${summary.tests} tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.unsupported} unsupported`);
    return summary.failed > 0 ? 1 : 0;
  } finally {
    dev.destroy();
  }
}
