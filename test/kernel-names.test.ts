// Kernel names are a type generated from shaders/ (scripts/embed-shaders.mjs):
// a launch of a misspelt kernel does not compile; a real one does.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { KERNEL_NAMES } from '../src/core/kernel-names.gen.js';

function diagnostics(kernel: string): string[] {
  const file = resolve('test/.kernel-name-check.ts');
  const text = `import type { Launch } from '../src/core/device.js';\nexport const l: Launch = { kernel: '${kernel}', bindings: [], threads: [1] };\n`;
  const host = ts.createCompilerHost({});
  const read = host.readFile;
  host.readFile = (f) => (resolve(f) === file ? text : read(f));
  const exists = host.fileExists;
  host.fileExists = (f) => resolve(f) === file || exists(f);
  const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] }, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('kernel names', () => {
  it('are every shader in shaders/', () => {
    const files = readdirSync('shaders').filter((f) => f.endsWith('.wgsl')).map((f) => f.replace(/\.wgsl$/, '')).sort();
    expect([...KERNEL_NAMES]).toEqual(files);
  });

  it('a misspelt kernel in a launch is a compile error; a real one compiles', () => {
    expect(diagnostics('matmul')).toEqual([]);
    const bad = diagnostics('matmull');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.join('\n')).toMatch(/'"matmull"' is not assignable/);
  }, 60_000);
});
