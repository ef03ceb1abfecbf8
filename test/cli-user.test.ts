// The command line as a new user meets it: every command answers --help with
// exit 0, and every user error is one line that names the flag or file and
// what to do, exit code 2, no stack trace, before any device opens (the
// device opener is watched: a user error must never reach it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { commandNames, run } from '../src/cli/main.js';
import * as opener from '../src/cli/open-device.js';
import { writeReluModel } from './helpers/relu-model.js';

let dir: string;
let model: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handover-cli-user-'));
  model = writeReluModel(join(dir, 'relu.onnx'));
  writeFileSync(join(dir, 'garbage.onnx'), 'this is not a protobuf at all \u0000\u0001');
  busy = createServer();
  await new Promise<void>((r) => busy.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  busyPort = (busy.address() as { port: number }).port;
});
afterEach(() => vi.restoreAllMocks()); // a failed assertion must not leave openDevice spied for the next case
afterAll(async () => {
  await new Promise<void>((r) => busy.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in this process; returns the exit code and what went to stdout and stderr. */
async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.map(String).join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.map(String).join(' ')));
  try {
    return { code: await run(argv), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('--help', () => {
  it('lists every command and exits 0 for `handover --help`; no command is a usage error (exit 2)', async () => {
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    for (const name of commandNames()) expect(h.out.join('\n')).toContain(`  ${name} `);
    expect((await cli([])).code).toBe(2);
  });

  it.each(commandNames())('`handover %s --help` prints its usage with every flag and exits 0', async (name) => {
    const spy = vi.spyOn(opener, 'openDevice');
    const r = await cli([name, '--help']);
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain(`usage: handover ${name}`);
    expect(text).toContain('--help');
    expect(text).not.toMatch(/issue \d+|#\d{2}\b/i); // no internal references
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect((await cli([name, '-h'])).code).toBe(0);
  });
});

describe('user errors: one line, exit 2, no stack trace, no device opened', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['unknown flag', () => ['device', '--nope'], /unknown flag --nope/],
    ['bad backend', () => ['device', '--backend', 'metal'], /--backend must be one of webgpu, cuda; got 'metal'/],
    ['missing model file', () => ['infer', '--model', '/nonexistent.onnx'], /--model '\/nonexistent\.onnx' does not exist/],
    ['directory as model', () => ['infer', '--model', dir], /is a directory; give the path of a file/],
    ['--batch 1e9', () => ['infer', '--model', model, '--batch', '1e9'], /--batch must be an integer in 1\.\.65536, got 1000000000/],
    ['--arena-mb 1e12 (infer)', () => ['infer', '--model', model, '--arena-mb', '1e12'], /--arena-mb must be a number > 0 and <= 262144, got 1000000000000/],
    ['--arena-mb 1e12 (train)', () => ['train', '--arena-mb', '1e12'], /--arena-mb must be/],
    ['--storm -1', () => ['train', '--storm', '-1'], /--storm must be a number in 0\.\.10000, got -1/],
    ['--effective-batch 1e9', () => ['train', '--effective-batch', '1e9'], /--effective-batch must be an integer in 1\.\.1000000/],
    ['--effective-batch above the data set', () => ['train', '--effective-batch', '5000'], /more than the \d+ training samples of digits/],
    ['--lr 1e30', () => ['train', '--lr', '1e30'], /--lr must be a number > 0 and <= 10, got 1e\+30/],
    ['--lr not a number', () => ['train', '--lr', 'fast'], /--lr must be a number > 0 and <= 10, got 'fast'/],
    ['unknown data set', () => ['train', '--dataset', 'imagenet'], /--dataset must be one of digits, fashion-mnist/],
    ['unknown system', () => ['run', '--systems', 'vllm'], /--systems: unknown system 'vllm'; choose from /],
    ['missing trace file', () => ['run', '--trace-file', '/no/trace.csv'], /--trace-file '\/no\/trace\.csv' does not exist/],
    ['bad trace kind', () => ['tune', '--trace', 'spiky'], /--trace must be one of light, heavy, burst, skewed, azure/],
    ['unknown benchmark', () => ['bench', 'disk'], /unknown benchmark 'disk': use handover, arena, preempt or infer-webgpu/],
    ['bench without a name', () => ['bench'], /name the benchmark: handover, arena, preempt or infer-webgpu/],
    ['bench with bad layers', () => ['bench', 'handover', '--layers', '0'], /--layers must be hidden widths like 512-512, got '0'/],
    ['a file that is not a model (serve)', () => ['serve', '--model', `m=${join(dir, 'garbage.onnx')}`], /garbage\.onnx is not a valid ONNX/],
    ['a file that is not a model (run --model-file)', () => ['run', '--model-file', join(dir, 'garbage.onnx')], /garbage\.onnx is not a valid ONNX/],
    ['optest on a file that is not a table', () => ['optest', join(dir, 'garbage.onnx')], /garbage\.onnx: not valid JSONC.*\(is it an operator test table, \.jsonc\?\)/],
    ['bad host', () => ['serve', '--model', `m=${model}`, '--host', '999.1.1.1', '--port', '0'], /not an address of this machine; use --host 127\.0\.0\.1/],
    ['port in use', () => ['serve', '--model', `m=${model}`, '--port', String(busyPort)], /is in use; stop the other server or choose another with --port/],
    ['serve model is a directory', () => ['serve', '--model', `m=${dir}`], /is a directory/],
    ['optest on a missing path', () => ['optest', '/no/tables'], /\/no\/tables/],
    ['unknown command', () => ['trian'], /unknown command 'trian'; the commands are device, train/],
  ];
  it.each(cases)('%s', async (_what, argv, line) => {
    const spy = vi.spyOn(opener, 'openDevice');
    const r = await cli(argv());
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(line);
    expect(r.err[0]).not.toMatch(/\n|^\s+at |Error:/);
    expect(r.out).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('a file that is not a model: one line naming the file, exit 2', async () => {
    const spy = vi.spyOn(opener, 'openDevice');
    const r = await cli(['infer', '--model', join(dir, 'garbage.onnx')]);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toContain('garbage.onnx');
    expect(r.err[0]).toMatch(/not a valid ONNX/);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('--backend cuda without a built addon or GPU: one line saying what to do, exit 2', async () => {
    const prev = process.env.HANDOVER_CUDA_ADDON;
    process.env.HANDOVER_CUDA_ADDON = join(dir, 'missing.node');
    try {
      const r = await cli(['device', '--backend', 'cuda']);
      expect(r.code).toBe(2);
      expect(r.err.at(-1)).toMatch(/CUDA addon is not built .*npm run build:cuda.*--backend webgpu/);
      const d = await cli(['train-dist', '--gpus', '1']);
      expect(d.code).toBe(2);
      expect(d.err.at(-1)).toMatch(/train-dist runs on CUDA and the addon is not built/);
      if (existsSync('native-cuda/build/handover_cuda.node') && spawnSync('nvidia-smi', ['-L']).status !== 0) {
        delete process.env.HANDOVER_CUDA_ADDON; // the built addon, on a machine without a GPU or driver
        const g = await cli(['device', '--backend', 'cuda']);
        expect(g.code).toBe(2);
        expect(g.err.at(-1)).toMatch(/CUDA backend unavailable: .*; run on a machine with an NVIDIA GPU and its driver, or use --backend webgpu$/);
      }
    } finally {
      if (prev === undefined) delete process.env.HANDOVER_CUDA_ADDON;
      else process.env.HANDOVER_CUDA_ADDON = prev;
    }
  });
});
