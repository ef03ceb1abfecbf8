// What the serving load scripts share: `handover serve` started as a child
// (from dist/ when built, else from the sources through tsx), resolved with
// its URL once it listens, and one batch-1 request for a model's metadata in
// the binary tensor extension (JSON header, then the raw FP32 inputs).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Node arguments that run the CLI. */
function cli() {
  if (existsSync(join(root, 'dist/src/cli/main.js'))) return [join(root, 'bin/handover.js')];
  const dir = mkdtempSync(join(tmpdir(), 'serve-'));
  writeFileSync(join(dir, 'cli.mts'), `import { run } from ${JSON.stringify(join(root, 'src/cli/main.ts'))};\nprocess.exitCode = await run(process.argv.slice(2));\n`);
  return ['--import', 'tsx', join(dir, 'cli.mts')];
}

/** Starts `handover serve ARGS`; resolves with { child, url } once it prints its address. */
export function startServe(args) {
  const child = spawn(process.execPath, [...cli(), 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${err.slice(-2000)}`)));
  });
}

/** A batch-1 request for the model whose v2 metadata is `meta`: { body, headers } (FP32 inputs only). */
export function binaryRequest(meta) {
  const inputs = meta.inputs.map((t) => ({ ...t, shape: t.shape.map((d) => (d < 0 ? 1 : d)) }));
  let s = 1;
  const raws = inputs.map((t) => {
    if (t.datatype !== 'FP32') throw new Error(`the load scripts send FP32 inputs only; '${t.name}' is ${t.datatype}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    return Buffer.from(Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1).buffer);
  });
  const header = Buffer.from(JSON.stringify({ inputs: inputs.map((t, i) => ({ ...t, parameters: { binary_data_size: raws[i].length } })), parameters: { binary_data_output: true } }));
  return { body: Buffer.concat([header, ...raws]), headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) } };
}
