// The CUDA addon compiles on a machine with nvcc and no GPU (here and in CI),
// loads into Node without libcuda, and carries one CUDA kernel for every WGSL
// training kernel (matmul goes to cuBLAS).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const TRAINING_KERNELS = ['matmul', 'fill', 'bias_add', 'relu', 'relu_backward', 'softmax_xent',
  'softmax_xent_backward', 'reduce_rows', 'sgd_momentum', 'adam', 'axpy', 'copy'];

const nvcc = ['/usr/local/cuda/bin/nvcc', ...(process.env.PATH ?? '').split(':').map((d) => `${d}/nvcc`)].find((p) => existsSync(p));
if (!nvcc) console.warn('cuda-build: skipped: nvcc is not installed');

describe.skipIf(!nvcc)(`npm run build:cuda${nvcc ? '' : ' (skipped: no nvcc)'}`, () => {
  it('compiles and links the addon', () => {
    // npm where there is one; the GPU machine has only node, so run the script it names.
    // Without a GPU, build:cuda builds the whole common set (minutes); the test compiles sm_90 unless told otherwise.
    const gpu = spawnSync('nvidia-smi', ['-L']).status === 0;
    const env = { ...process.env, HANDOVER_CUDA_ARCH: process.env.HANDOVER_CUDA_ARCH ?? (gpu ? 'auto' : 'sm_90') };
    let r = spawnSync('npm', ['run', '--silent', 'build:cuda'], { encoding: 'utf8', env });
    if (r.error) r = spawnSync(process.execPath, ['scripts/build-cuda.mjs'], { encoding: 'utf8', env });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(existsSync('native-cuda/build/handover_cuda.node')).toBe(true);
  }, 300_000);

  it('loads without a GPU; every CUDA kernel has a WGSL twin and the training kernels are all there', () => {
    const addon = createRequire(import.meta.url)('../native-cuda/build/handover_cuda.node') as {
      kernels(): { name: string; paramBytes: number }[];
      open(ordinal: number): unknown;
    };
    const wgsl = readdirSync('shaders').filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
    const cuda = addon.kernels().map((k) => k.name);
    for (const name of cuda) expect(wgsl, `shaders/${name}.wgsl`).toContain(name);
    for (const name of TRAINING_KERNELS) expect([...cuda, 'matmul'], name).toContain(name);
  });

  it('reports a failed CUDA call as an error with call, file, line and the driver message', () => {
    const addon = createRequire(import.meta.url)('../native-cuda/build/handover_cuda.node') as { open(o: number): unknown };
    let caught: unknown;
    try {
      addon.open(999);
    } catch (e) {
      caught = e;
    }
    const e = caught as { call: string; file: string; line: number; code: string; message: string };
    expect(e).toBeInstanceOf(Error);
    expect(e.call).toMatch(/cuda|CHECK|ordinal/i);
    expect(e.file).toMatch(/^native-cuda\/.+\.cpp$/);
    expect(e.line).toBeGreaterThan(0);
    expect(e.code).toBeTruthy();
  });
});
