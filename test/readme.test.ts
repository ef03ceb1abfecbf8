// The README against the code: every command is in its table, every source
// folder in its layout, the defaults it states are the flags' defaults, the
// help texts carry no internal references, and the package has a LICENSE
// and an `exports` map that points at files the build writes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandNames } from '../src/cli/main.js';
import { runSpec } from '../src/cli/run-cmd.js';
import { serveSpec } from '../src/cli/serve-cmd.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('lists every command in its table', () => {
    for (const name of commandNames()) expect(readme, name).toContain(`| \`handover ${name}`);
  });

  it('names every top-level folder and every src/ folder in its layout', () => {
    const layout = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 5));
    for (const d of readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory())) expect(layout, d.name).toContain(`\`src/${d.name}/\``);
    for (const d of ['bin', 'native-cuda', 'shaders', 'demo', 'test', 'test-e2e', 'scripts', 'data', 'docs']) expect(layout, d).toContain(`\`${d}/\``);
  });

  it('states the defaults the flags have (T_idle of run and serve)', () => {
    expect(readme).toMatch(/`run` uses the tuner's T_idle/);
    expect(runSpec['t-idle-ms']!.help).toMatch(/default: the tuner's choice/);
    expect(readme).toMatch(/`serve --train` uses T_idle = 5000 ms/);
    expect(serveSpec['t-idle-ms']!.default).toBe(5000);
  });

  it('says where each data set comes from, the Azure trace included', () => {
    expect(readme).toMatch(/Azure LLM inference trace 2023/);
    expect(readme).toContain('../shared/data/azure-llm-inference-2023-conv.csv.gz');
    expect(readme).toMatch(/Fashion-MNIST/);
  });

  it('has the figure it shows and a LICENSE with the Apache-2.0 text package.json names', () => {
    const fig = /!\[[^\]]*\]\(([^)]+)\)/.exec(readme)![1]!;
    expect(existsSync(fig), fig).toBe(true);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { license: string; exports: Record<string, unknown>; types: string };
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync('LICENSE', 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(pkg.exports['.']).toEqual({ types: './dist/src/index.d.ts', import: './dist/src/index.js' });
    expect(existsSync('src/index.ts')).toBe(true); // what the build turns into dist/src/index.js
  });
});
