// The Node half of scripts/device-gpt.sh (imports the built dist/):
//   node scripts/gpt-bench.mjs cuda|webgpu OUTDIR   -> OUTDIR/ours-<backend>.json
//   node scripts/gpt-bench.mjs table OUTDIR          -> the table, from ours-*.json and torch.json
// Shapes come from the environment (device-gpt.sh sets them; TINY=1 gives
// SwiftShader-sized ones for checking the script here):
//   LAYERS WIDTH HEADS CONTEXT  the model (GPT-2 small: 12 768 12 1024; vocab 256, bytes)
//   K PARITY_E PARITY_MICRO      parity steps and their batch
//   TPUT_MICRO TPUT_STEPS        throughput micro-batch and timed steps (WebGPU: WEBGPU_MICRO, WEBGPU_STEPS)
//   ARENA_GB REQUIRE_GB REPS NAIVE_REPS  the memory run's arena, the REQUIRE sizes (comma-separated), repetitions
//   BACKEND                      the device for the cuda mode's parts (default cuda; webgpu checks the script here)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (k, d) => (process.env[k] === undefined ? d : Number(process.env[k]));
const tiny = process.env.TINY === '1';
const [mode, out] = process.argv.slice(2);
if (!mode || !out) {
  console.error('usage: node scripts/gpt-bench.mjs cuda|webgpu|table OUTDIR');
  process.exit(2);
}

if (mode === 'table') {
  const read = (f) => (existsSync(join(out, f)) ? JSON.parse(readFileSync(join(out, f), 'utf8')) : null);
  const ours = read('ours-cuda.json');
  const web = read('ours-webgpu.json');
  const torch = read('torch.json');
  const f = (x, d = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const rows = [];
  if (ours?.parity && torch?.losses) {
    const n = Math.min(ours.parity.length, torch.losses.length);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ours.parity[i] - torch.losses[i]) / Math.abs(torch.losses[i]));
    const every = Math.max(1, Math.floor(n / 5));
    const pts = [];
    for (let i = every - 1; i < n; i += every) pts.push(`${i + 1}: ${f(ours.parity[i], 4)} vs ${f(torch.losses[i], 4)}`);
    rows.push([`loss curve, ${n} steps (ours vs torch)`, pts.join('; ')]);
    rows.push(['loss, worst relative difference (target < 1%)', `${f(worst * 100, 3)}%`]);
  } else rows.push(['loss curve', 'n/a (a side did not run)']);
  const tp = ours?.tokensPerSec;
  rows.push(['tokens/s ours (CUDA)', f(tp)]);
  rows.push(['tokens/s PyTorch eager / ratio ours:eager (target >= 1.0)', `${f(torch?.eagerTokensPerSec)} / ${f(tp / torch?.eagerTokensPerSec, 2)}x`]);
  rows.push(['tokens/s torch.compile / ratio ours:compile', `${f(torch?.compileTokensPerSec)} / ${f(tp / torch?.compileTokensPerSec, 2)}x`]);
  rows.push(['tokens/s ours (WebGPU, Dawn on Vulkan)', web ? `${f(web.tokensPerSec)} (micro-batch ${web.shape.tputMicro})` : 'n/a']);
  const m = ours?.memory;
  rows.push(['memory held by training at its largest micro-batch (target >= 100 GB)', m ? `${f(m.heldBytes / 1e9, 1)} GB (micro-batch ${m.largestMicroBatch}, ${f(m.activationBytes / 1e9, 1)} GB activations)` : 'n/a']);
  for (const r of m?.requires ?? [])
    rows.push([`REQUIRE ${r.gb} GB during gradients: p50 / p99 ms (close, discard, reclaim+zero p50)`, `${f(r.p50Ms, 1)} / ${f(r.p99Ms, 1)} (${f(r.closeP50Ms, 1)}, ${f(r.discardP50Ms, 1)}, ${f(r.reclaimP50Ms, 1)}); naive ${f(r.naiveP50Ms, 0)} / ${f(r.naiveP99Ms, 0)}; n=${r.n}`]);
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\nGPT benchmark (${ours?.shape ? `${ours.shape.layers}x${ours.shape.width}, ${ours.shape.heads} heads, context ${ours.shape.context}` : '?'}; ${ours?.device ?? '?'}; ${ours?.date ?? ''})`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  process.exit(0);
}

const dist = (p) => new URL(`../dist/src/${p}`, import.meta.url).href;
const { openDevice } = await import(dist('cli/open-device.js'));
const { loadText } = await import(dist('train/gpt/text-node.js'));
const { GPT_HYPER } = await import(dist('train/gpt/layout.js'));
const bench = await import(dist('train/gpt/bench.js'));

const shape = {
  layers: env('LAYERS', tiny ? 2 : 12), width: env('WIDTH', tiny ? 32 : 768), heads: env('HEADS', tiny ? 2 : 12), context: env('CONTEXT', tiny ? 32 : 1024),
  parityE: env('PARITY_E', tiny ? 4 : 8), parityMicro: env('PARITY_MICRO', tiny ? 2 : 8), k: env('K', tiny ? 4 : 20),
  tputMicro: env(mode === 'webgpu' ? 'WEBGPU_MICRO' : 'TPUT_MICRO', tiny ? 4 : mode === 'webgpu' ? 4 : 16),
  tputSteps: env(mode === 'webgpu' ? 'WEBGPU_STEPS' : 'TPUT_STEPS', tiny ? 2 : mode === 'webgpu' ? 3 : 5),
  arenaGb: env('ARENA_GB', tiny ? 0.05 : 132), reps: env('REPS', tiny ? 1 : 2), naiveReps: env('NAIVE_REPS', 1),
  requireGb: (process.env.REQUIRE_GB ?? (tiny ? '0.004,0.016' : '4,16,40,80')).split(',').map(Number),
};
const cfg = { layers: shape.layers, width: shape.width, heads: shape.heads, context: shape.context, vocab: 256, recompute: false };
const hyper = { ...GPT_HYPER, lr: 6e-4 };
const pageBytes = tiny ? 64 << 10 : 2 << 20;
const log = (l) => console.error(`[gpt-bench ${mode}] ${l}`);
mkdirSync(out, { recursive: true });
// BACKEND=webgpu runs the cuda mode's parts on WebGPU (checking the script on a machine without CUDA).
const dev = await openDevice(process.env.BACKEND ?? mode, log);
const data = loadText('brown', cfg.context).train;
const result = { backend: mode, device: dev.info.name, date: new Date().toISOString(), shape, hyper };
const save = () => writeFileSync(join(out, `ours-${mode}.json`), JSON.stringify(result, null, 1));
try {
  // ONLY=memory: just the memory and REQUIRE part (a re-run of it alone).
  const only = process.env.ONLY;
  if (mode === 'cuda' && !only) {
    log(`parity: ${shape.k} steps of E=${shape.parityE} (micro-batch ${shape.parityMicro}), weights and tokens to ${out}/parity`);
    result.parity = await bench.parity(dev, cfg, hyper, data, { steps: shape.k, effectiveBatch: shape.parityE, microBatch: shape.parityMicro, dir: join(out, 'parity'), pageBytes });
    log(`parity losses ${result.parity.map((x) => x.toFixed(4)).join(' ')}`);
    save();
  }
  if (!only) {
    log(`throughput: micro-batch ${shape.tputMicro}, ${shape.tputSteps} timed steps`);
    result.tokensPerSec = await bench.throughput(dev, cfg, hyper, data, { microBatch: shape.tputMicro, steps: shape.tputSteps, warmup: 1, pageBytes });
    log(`${result.tokensPerSec.toFixed(0)} tokens/s`);
    save();
  }
  if (mode === 'cuda') {
    const arenaBytes = Math.floor((shape.arenaGb * 1e9) / pageBytes) * pageBytes;
    result.memory = await bench.memoryAndRequires(dev, cfg, hyper, data, { arenaBytes, pageBytes, sizesGb: shape.requireGb, reps: shape.reps, naiveReps: shape.naiveReps, onLog: log });
    save();
  }
} finally {
  save();
  dev.destroy();
}
