// The layout's one rule, checked on the sources: the backends (WebGPU, CUDA,
// the simulated device) and the core below them import nothing of the layers
// above (the CLI, the trainer, the inference engine, the benchmarks, the
// server, the evaluation, the system and its scheduler). A failure names the
// file and the import. The backends live in src/devices/{webgpu,cuda,sim}.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The lower layers (each the first of its candidate paths that exists). */
const LOWER: string[][] = [
  ['src/devices/webgpu'],
  ['src/devices/cuda'],
  ['src/devices/sim'],
  ['src/core'],
];

/** What a lower layer must not import. */
const UPPER = ['src/cli', 'src/train', 'src/infer', 'src/bench', 'src/serve', 'src/eval', 'src/system', 'src/colocate', 'src/sched', 'src/llm'];

function lowerPaths(): string[] {
  return LOWER.map((candidates) => {
    const found = candidates.find((p) => existsSync(join(root, p)));
    if (!found) throw new Error(`none of ${candidates.join(', ')} exists: update LOWER in test/layout-rules.test.ts to the layout`);
    return found;
  });
}

function sources(path: string): string[] {
  const abs = join(root, path);
  if (statSync(abs).isFile()) return [path];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(path, f));
}

/** Every module specifier a source names: static imports and re-exports (type-only too) and dynamic import('...') of a string literal. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** The imports of `file` (a path from the repository root) that reach an upper layer, as 'file: import'. */
function violations(file: string, text: string): string[] {
  const bad: string[] = [];
  for (const spec of specifiers(text)) {
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(root, dirname(file), spec)).split(sep).join('/');
    if (UPPER.some((u) => target === u || target.startsWith(`${u}/`))) bad.push(`${file}: import '${spec}' reaches ${target}`);
  }
  return bad;
}

describe('layout rules', () => {
  it('the backends and the core import nothing of the CLI, the trainer, the inference engine, the benchmarks, the server or the evaluation', () => {
    const files = lowerPaths().flatMap(sources);
    expect(files.length).toBeGreaterThan(20);
    const bad = files.flatMap((f) => violations(f, readFileSync(join(root, f), 'utf8')));
    expect(bad, `lower layers importing upper ones:\n${bad.join('\n')}`).toEqual([]);
  });

  it('the check finds an upper-layer import in every form, and names file and import', () => {
    const file = 'src/devices/webgpu/example.ts';
    const text = [
      "import { Trainer } from '../../train/trainer.js';",
      "import type { ModelStore } from '../../infer/store.js';",
      "export { bench } from '../../bench/arena-bench.js';",
      'const m = await import("../../cli/main.js");',
      "import { Arena } from '../../core/arena.js';",
      "// import { nope } from '../../serve/server.js';",
      "import { spawn } from 'node:child_process';",
    ].join('\n');
    expect(violations(file, text)).toEqual([
      "src/devices/webgpu/example.ts: import '../../train/trainer.js' reaches src/train/trainer.js",
      "src/devices/webgpu/example.ts: import '../../infer/store.js' reaches src/infer/store.js",
      "src/devices/webgpu/example.ts: import '../../bench/arena-bench.js' reaches src/bench/arena-bench.js",
      "src/devices/webgpu/example.ts: import '../../cli/main.js' reaches src/cli/main.js",
    ]);
    expect(violations('src/devices/cuda/device.ts', "import { x } from '../../eval/runner.js';")).toHaveLength(1);
    expect(violations('src/devices/cuda/device.ts', "import { x } from '../../core/device.js';")).toEqual([]);
  });
});
