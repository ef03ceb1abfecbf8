// Starts `handover serve` as a child process, as a user would, and resolves
// with its address once it prints one.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServeChild {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
  stderr: () => string;
  stdout: () => string;
}

/** Writes the small entry script the child runs (tsx on the sources) into `dir`. */
export function writeCliEntry(dir: string): void {
  writeFileSync(join(dir, 'cli.mts'), `import { run } from ${JSON.stringify(join(repoRoot, 'src/cli/main.ts'))};\nprocess.exitCode = await run(process.argv.slice(2));\n`);
}

export function startServe(dir: string, args: string[]): Promise<ServeChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'cli.mts'), 'serve', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, exit, stderr: () => err, stdout: () => out });
    });
    void exit.then((code) => reject(new Error(`serve exited ${code} before listening:\n${out}\n${err}`)));
  });
}
