#!/usr/bin/env node
// Builds native-cuda/ into native-cuda/build/handover_cuda.node with nvcc:
// SASS for sm_90 plus compute_90 PTX, cudart linked statically, no libcuda,
// cuBLAS or NCCL at link time. Objects are rebuilt only when a source or
// header is newer; compiles run in parallel.
//   node scripts/build-cuda.mjs [--force] [--out DIR] [--cudart static|shared]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native-cuda');
const args = process.argv.slice(2);
const force = args.includes('--force');
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? resolve(args[outAt + 1]) : join(src, 'build');
const target = join(out, 'handover_cuda.node');
const cudartAt = args.indexOf('--cudart');
const cudart = cudartAt >= 0 ? args[cudartAt + 1] : 'static';

function fail(msg) {
  console.error(`build:cuda: ${msg}`);
  process.exit(1);
}

const nvcc = process.env.NVCC ?? (existsSync('/usr/local/cuda/bin/nvcc') ? '/usr/local/cuda/bin/nvcc' : 'nvcc');
if (spawnSync(nvcc, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`nvcc not found (${nvcc}); set NVCC`);

const napiDirs = [process.env.NODE_API_INCLUDE, '/usr/include/node', join(dirname(process.execPath), '..', 'include', 'node')];
const napi = napiDirs.find((d) => d && existsSync(join(d, 'node_api.h')));
if (!napi) fail(`node_api.h not found in ${napiDirs.filter(Boolean).join(', ')}; set NODE_API_INCLUDE`);

const arch = ['-gencode', 'arch=compute_90,code=sm_90', '-gencode', 'arch=compute_90,code=compute_90'];
const common = ['-O2', '-std=c++17', '-Xcompiler', '-fPIC,-fvisibility=hidden', `-I${napi}`,
  '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=handover_cuda', ...arch];

const files = readdirSync(src).filter((f) => /\.(cu|cpp)$/.test(f)).sort();
const headers = readdirSync(src).filter((f) => f.endsWith('.h'));
const newestHeader = Math.max(0, ...headers.map((h) => statSync(join(src, h)).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
mkdirSync(out, { recursive: true });

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1);
const jobs = files.map((f) => {
  const obj = join(out, `${f}.o`);
  const stale = force || mtime(obj) < Math.max(mtime(join(src, f)), newestHeader);
  return { f, obj, stale };
});

function run(cmd, argv) {
  return new Promise((res, rej) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res() : rej(new Error(`${cmd} ${argv.join(' ')} exited with ${code}`))));
  });
}

const t0 = Date.now();
const todo = jobs.filter((j) => j.stale);
let next = 0;
const workers = Array.from({ length: Math.max(1, Math.min(todo.length, cpus().length)) }, async () => {
  while (next < todo.length) {
    const j = todo[next++];
    await run(nvcc, [...common, '-c', join(src, j.f), '-o', j.obj]);
  }
});
try {
  await Promise.all(workers);
  if (todo.length > 0 || mtime(target) < Math.max(...jobs.map((j) => mtime(j.obj)))) {
    await run(nvcc, [...arch, '-shared', '-cudart', cudart, '-o', target, ...jobs.map((j) => j.obj), '-ldl', '-lpthread', '-lrt']);
  }
} catch (e) {
  fail(e.message);
}
console.log(`build:cuda: ${target} (${todo.length} of ${jobs.length} sources compiled, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
