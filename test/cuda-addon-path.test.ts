// Where the CUDA addon is looked for, and which architectures build:cuda
// chooses (no compile here: only its decisions and its one-line refusals).
// From a clone the package root is the repository; from an installed package
// (node_modules/handover/dist/src/cuda) it is node_modules/handover, never a
// folder above it (the user's own project, or /tmp).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonPath, packageRoot } from '../src/devices/cuda/addon.js';
import { CudaUnavailableError } from '../src/devices/cuda/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'handover-addon-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CUDA addon path', () => {
  it('in a clone: native-cuda/build/ of the repository', () => {
    const prev = process.env.HANDOVER_CUDA_ADDON;
    delete process.env.HANDOVER_CUDA_ADDON;
    try {
      expect(packageRoot()).toBe(resolve('.'));
      expect(addonPath()).toBe(resolve('native-cuda/build/handover_cuda.node'));
    } finally {
      if (prev !== undefined) process.env.HANDOVER_CUDA_ADDON = prev;
    }
  });

  it('in an installed package: the package folder inside node_modules, not the project above it', () => {
    const project = join(dir, 'app');
    const pkg = join(project, 'node_modules', 'handover');
    const cudaDir = join(pkg, 'dist', 'src', 'cuda');
    mkdirSync(cudaDir, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-app' }));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'handover', version: '0.1.0' }));
    expect(packageRoot(cudaDir)).toBe(pkg);
  });

  it('with no handover package.json above: a typed error that says to set HANDOVER_CUDA_ADDON', () => {
    const lone = join(dir, 'lone', 'dist', 'src', 'cuda');
    mkdirSync(lone, { recursive: true });
    expect(() => packageRoot(lone)).toThrow(CudaUnavailableError);
    expect(() => packageRoot(lone)).toThrow(/HANDOVER_CUDA_ADDON/);
  });
});

describe('build:cuda chooses architectures and says so', () => {
  const haveNvcc = spawnSync('nvcc', ['--version']).status === 0 || spawnSync('/usr/local/cuda/bin/nvcc', ['--version']).status === 0;
  const build = (...args: string[]) => spawnSync(process.execPath, ['scripts/build-cuda.mjs', '--out', join(dir, 'build'), ...args], { encoding: 'utf8' });

  it.skipIf(!haveNvcc)('refuses an architecture nvcc cannot build, and a malformed list, in one line each', () => {
    const r = build('--arch', 'sm_99');
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^build:cuda: this nvcc cannot build sm_99; it builds .*sm_80.*sm_90/);
    const bad = build('--arch', 'hopper');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(/--arch wants auto, common, native or a list like sm_80,sm_90; got 'hopper'/);
  });

  it.skipIf(!haveNvcc || spawnSync('nvidia-smi', ['-L']).status === 0)('--arch native without a GPU says to use the common set', () => {
    const r = build('--arch', 'native');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nvidia-smi finds no GPU here; use --arch common/);
  });
});
