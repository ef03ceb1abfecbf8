#!/usr/bin/env node
// Builds native-cuda/ into native-cuda/build/handover_cuda.node with nvcc,
// cudart linked statically, no libcuda, cuBLAS or NCCL at link time. Objects
// are rebuilt only when a source or header is newer (or the architectures
// changed); compiles run in parallel.
//
// Architectures (--arch, or HANDOVER_CUDA_ARCH):
//   auto (default): the GPUs present (nvidia-smi), else `common`;
//   common: SASS for sm_80 (A100), sm_86 (A10, RTX 30), sm_89 (L4, L40, RTX 40),
//     sm_90 (H100, H200) and the newest family this nvcc has (sm_120 for
//     nvcc 13: RTX 50 and other Blackwell 12.x), plus compute_80 PTX that the
//     driver compiles for any later GPU (B200 and others);
//   native: the GPUs present only (fails without one);
//   a list: sm_90,sm_100 (each gets SASS; the lowest also PTX).
//   node scripts/build-cuda.mjs [--force] [--out DIR] [--cudart static|shared] [--arch auto|common|native|sm_XX,...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

const archAt = args.indexOf('--arch');
const archWanted = (archAt >= 0 ? args[archAt + 1] : process.env.HANDOVER_CUDA_ARCH) || 'auto';
const { sms, why } = chooseArchs(archWanted);
const ptx = Math.min(...sms);
const arch = [...sms.flatMap((sm) => ['-gencode', `arch=compute_${sm},code=sm_${sm}`]), '-gencode', `arch=compute_${ptx},code=compute_${ptx}`];
const archKey = arch.join(' ');

/** The SASS targets this nvcc can build, as numbers (75, 80, ..., 121). */
function nvccTargets() {
  const r = spawnSync(nvcc, ['--list-gpu-code'], { encoding: 'utf8' });
  if (r.status !== 0) return [75, 80, 86, 87, 89, 90];
  return [...r.stdout.matchAll(/sm_(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** The GPUs present: [{sm, name}] from nvidia-smi, or [] when there is none. */
function gpusPresent() {
  const r = spawnSync('nvidia-smi', ['--query-gpu=compute_cap,name', '--format=csv,noheader'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return [];
  return r.stdout.trim().split('\n').map((l) => {
    const [cap, ...name] = l.split(',');
    return { sm: Math.round(Number(cap) * 10), name: name.join(',').trim() };
  }).filter((g) => Number.isFinite(g.sm) && g.sm > 0);
}

function chooseArchs(wanted) {
  const have = nvccTargets();
  const check = (list) => {
    for (const sm of list) if (!have.includes(sm)) fail(`this nvcc cannot build sm_${sm}; it builds ${have.map((x) => `sm_${x}`).join(', ')}`);
    return [...new Set(list)].sort((a, b) => a - b);
  };
  const common = () => {
    const top = Math.floor(have[have.length - 1] / 10);
    const newest = have.find((sm) => Math.floor(sm / 10) === top);
    const sms = check([80, 86, 89, 90, newest].filter((sm) => have.includes(sm)));
    return { sms, why: `the common set (${sms.map((x) => `sm_${x}`).join(', ')}; compute_${Math.min(...sms)} PTX for later GPUs)` };
  };
  if (wanted === 'common') return common();
  if (wanted === 'auto' || wanted === 'native') {
    const gpus = gpusPresent();
    if (gpus.length > 0) {
      const sms = check(gpus.map((g) => g.sm));
      return { sms, why: `the GPU present: ${[...new Set(gpus.map((g) => `${g.name} (sm_${g.sm})`))].join(', ')}; --arch common builds for A100, L4, RTX and Blackwell too` };
    }
    if (wanted === 'native') fail('--arch native: nvidia-smi finds no GPU here; use --arch common or a list like sm_90');
    return common();
  }
  const list = wanted.split(',').map((a) => Number(/^(?:sm_|compute_)?(\d+)$/.exec(a.trim())?.[1]));
  if (list.some((x) => !Number.isInteger(x))) fail(`--arch wants auto, common, native or a list like sm_80,sm_90; got '${wanted}'`);
  return { sms: check(list), why: 'as asked' };
}

const common = ['-O2', '-std=c++17', '-Xcompiler', '-fPIC,-fvisibility=hidden', `-I${napi}`,
  '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=handover_cuda', ...arch];

const files = readdirSync(src).filter((f) => /\.(cu|cpp)$/.test(f)).sort();
const headers = readdirSync(src).filter((f) => f.endsWith('.h'));
const newestHeader = Math.max(0, ...headers.map((h) => statSync(join(src, h)).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
mkdirSync(out, { recursive: true });
const archFile = join(out, 'arch.txt');
const archChanged = !existsSync(archFile) || readFileSync(archFile, 'utf8') !== archKey;
console.error(`build:cuda: SASS for ${sms.map((x) => `sm_${x}`).join(', ')} + compute_${ptx} PTX: ${why}`);

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1);
const jobs = files.map((f) => {
  const obj = join(out, `${f}.o`);
  const stale = force || archChanged || mtime(obj) < Math.max(mtime(join(src, f)), newestHeader);
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
  writeFileSync(archFile, archKey);
} catch (e) {
  fail(e.message);
}
console.log(`build:cuda: ${target} for ${sms.map((x) => `sm_${x}`).join(', ')} (${todo.length} of ${jobs.length} sources compiled, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
