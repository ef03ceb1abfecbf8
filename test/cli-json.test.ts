// `--json` as a script sees it: each command run as a child process (the way
// a user runs it, so stdout and stderr are really apart) with fast settings;
// stdout must be exactly one JSON object whose first keys are `device` and
// `backend`, in every command. train-dist needs CUDA GPUs: here it must fail
// with one line (exit 2) and no stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReluModel } from './helpers/relu-model.js';
import { defaultTableDir } from '../src/optest/table.js';
import { repoRoot, writeCliEntry } from './helpers/serve-child.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'handover-cli-json-'));
  writeCliEntry(dir);
  writeReluModel(join(dir, 'relu.onnx'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function handover(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'cli.mts'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const OPTEST_TABLE = join(defaultTableDir(), 'abs.jsonc');
const cases: [string, () => string[], string[]][] = [
  ['device', () => ['device'], ['limits']],
  ['tune', () => ['tune', '--duration', '40'], ['tIdleS', 'predictedCompliance']],
  ['bench arena', () => ['bench', 'arena', '--mb', '1', '--closes', '5'], ['zeroGBps', 'closeP50Ms']],
  ['bench handover', () => ['bench', 'handover', '--requires', '4', '--layers', '16', '--micro-batch', '16', '--rate', '50'], ['p50Ms', 'speedup']],
  ['train', () => ['train', '--epochs', '1', '--layers', '16'], ['testAccuracy', 'samplesPerSec']],
  ['infer', () => ['infer', '--model', join(dir, 'relu.onnx'), '--runs', '2'], ['p50Ms', 'loadMs']],
  ['run', () => ['run', '--duration', '2', '--systems', 'handover', '--out', join(dir, 'report')], ['handover']],
];

describe('--json: stdout is one JSON object {device, backend, ...} in every command', () => {
  it.each(cases)('%s', (_name, args, keys) => {
    const r = handover([...args(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines, r.stdout).toHaveLength(1);
    const obj = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(obj).slice(0, 2)).toEqual(['device', 'backend']);
    if (args()[0] === 'tune') expect(obj).toMatchObject({ device: null, backend: null });
    else expect(obj).toMatchObject({ device: expect.any(String), backend: 'webgpu' });
    for (const k of keys) expect(obj).toHaveProperty(k);
    expect(r.stderr).not.toMatch(/XDG_RUNTIME_DIR|PhysicalDeviceVk\.cpp/); // no noise
  });

  it.skipIf(!existsSync(OPTEST_TABLE))('optest (needs ../shared/optests or HANDOVER_OPTESTS)', () => {
    const r = handover(['optest', OPTEST_TABLE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const obj = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(obj).slice(0, 2)).toEqual(['device', 'backend']);
    expect(obj.cases).toBeGreaterThan(0);
  });

  it('train-dist without CUDA: a one-line error, exit 2, nothing on stdout', () => {
    const r = handover(['train-dist', '--gpus', '1', '--steps', '2', '--json']);
    if (r.code === 0) return expect(JSON.parse(r.stdout.trim())).toHaveProperty('device'); // a CUDA machine
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^handover train-dist: .*CUDA.*(not built|NVIDIA GPU)/);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });
});
