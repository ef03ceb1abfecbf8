// Browser code never imports Node modules: every module the demo page reaches
// through static imports (from demo/*.ts, following relative imports) is read
// here, and any `node:*` or Node built-in specifier fails the test with the
// chain of files that reached it. (Dynamic imports of a name held in a
// variable, as the Dawn loader does, are Node-only paths the bundler skips.)
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** The static, non-type import specifiers of a TypeScript source. */
export function staticImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(STATIC_IMPORT)) out.push(m[1]!);
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) if (existsSync(c) && c.endsWith('.ts')) return c;
  return null;
}

function nodeImportsReachable(entries: string[]): string[] {
  const builtins = new Set(builtinModules);
  const parent = new Map<string, string | null>(entries.map((e) => [e, null]));
  const todo = [...entries];
  const found: string[] = [];
  while (todo.length) {
    const file = todo.pop()!;
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) {
        const chain = [file];
        for (let p = parent.get(file); p; p = parent.get(p)) chain.push(p);
        found.push(`'${spec}' via ${chain.reverse().map((f) => relative('.', f)).join(' -> ')}`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const next = resolveLocal(file, spec);
      if (next && !parent.has(next)) {
        parent.set(next, file);
        todo.push(next);
      }
    }
  }
  return found;
}

describe('browser code imports no Node module', () => {
  it('finds a node: import when one is there (the check can fail)', () => {
    expect(staticImports(`import { a } from 'node:fs';\nimport type { B } from 'node:path';\nexport { c } from './c.js';\nimport './side.js';`)).toEqual(['node:fs', './c.js', './side.js']);
  });

  it('no module reachable from the demo page imports node:* or a Node built-in', () => {
    const entries = readdirSync('demo').filter((f) => f.endsWith('.ts')).map((f) => resolve('demo', f));
    expect(entries.length).toBeGreaterThan(0);
    expect(nodeImportsReachable(entries)).toEqual([]);
  });
});
