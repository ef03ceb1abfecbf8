#!/usr/bin/env node
// The `handover` command. The TypeScript is compiled to dist/ by `npm run build`
// (run by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('handover: dist/ is missing; run `npm run build` in the package folder first');
  process.exit(2);
}
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
