// CUDA backend benchmarks (numbers, not tests): zero-fill bandwidth against a
// device-to-device copy, VMM page create/map/unmap times, submit round trips,
// host cost per launch, and GEMM throughput, beside PyTorch's numbers from the
// same run when given.
//   node dist/src/bench/cuda-backend.js [--torch torch.json] [--json out.json]
import { readFileSync, writeFileSync } from 'node:fs';
import type { Range } from '../core/device.js';
import { fill } from '../kernels/elementwise.js';
import { matmul } from '../kernels/matmul.js';
import { CudaDevice } from '../devices/cuda/device.js';

export interface BenchResult {
  device: string;
  date: string;
  rows: { name: string; value: number; unit: string; torch?: number; note?: string }[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** GPU milliseconds per call of body, between timing events on the training stream (as torch.cuda.Event). */
async function timeIt(d: CudaDevice, reps: number, body: () => void): Promise<number> {
  for (let i = 0; i < Math.min(reps, 20); i++) body();
  await d.fence(); // warm-up (clocks ramp up)
  const [start, end] = [d.cu.eventCreate(true), d.cu.eventCreate(true)];
  d.cu.eventRecord(start, d.trainingStream);
  for (let i = 0; i < reps; i++) body();
  d.cu.eventRecord(end, d.trainingStream);
  await d.fence();
  const ms = d.cu.eventElapsed(start, end) / reps;
  d.cu.eventDestroy(start);
  d.cu.eventDestroy(end);
  return ms;
}

/** Host microseconds per call: best of 10 bursts of 64 calls (a burst stays within the GPU's launch queue). */
async function hostCost(d: CudaDevice, call: () => void): Promise<number> {
  let best = Infinity;
  for (let rep = 0; rep < 10; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < 64; i++) call();
    best = Math.min(best, ((performance.now() - t0) / 64) * 1000);
    await d.fence();
  }
  return best;
}

export async function runBench(torch: Record<string, number> = {}): Promise<BenchResult> {
  const d = await CudaDevice.open((l) => console.log(l));
  const rows: BenchResult['rows'] = [];
  const row = (name: string, value: number, unit: string, note?: string): void => {
    rows.push({ name, value, unit, torch: torch[name], note });
    console.log(`${name}: ${value.toFixed(3)} ${unit}${torch[name] !== undefined ? ` (torch ${torch[name]!.toFixed(3)})` : ''}`);
  };
  const P = d.pageBytes;

  // Physical pages: created once, ahead of any handover.
  let t0 = performance.now();
  d.pool.grow((8 * 2 ** 30) / P);
  row('create 8 GiB of physical pages', performance.now() - t0, 'ms', `${(8 * 2 ** 30) / P} x cuMemCreate(${P / 2 ** 20} MiB)`);

  // Map / unmap 512 MiB: raw driver mechanics, then through createBacking.
  const n = (512 << 20) / P;
  const maps: number[] = [];
  const unmaps: number[] = [];
  for (let rep = 0; rep < 10; rep++) {
    const pages = d.pool.take(n);
    t0 = performance.now();
    const va = d.cu.addressReserve(n * P, P);
    for (let i = 0; i < n; i++) d.cu.pageMap(va + BigInt(i * P), P, pages[i]!);
    d.cu.accessSet(va, n * P, d.ordinal);
    const t1 = performance.now();
    d.cu.pageUnmap(va, n * P);
    d.cu.addressFree(va, n * P);
    unmaps.push(performance.now() - t1);
    maps.push(t1 - t0);
    d.pool.give(pages);
  }
  row(`map 512 MiB (reserve + ${n} cuMemMap + setAccess)`, median(maps), 'ms');
  row('unmap 512 MiB (cuMemUnmap + free range)', median(unmaps), 'ms');
  const creates: number[] = [];
  for (let rep = 0; rep < 10; rep++) {
    t0 = performance.now();
    const b = d.createBacking(512 << 20, 'bench');
    creates.push(performance.now() - t0);
    d.destroyBacking(b);
    await d.fence();
  }
  row('createBacking 512 MiB from the warm pool', median(creates), 'ms');

  // Submit round trips (event record + poll) and host cost per launch.
  const trips: number[] = [];
  for (let i = 0; i < 200; i++) {
    t0 = performance.now();
    await d.submit();
    trips.push(performance.now() - t0);
  }
  row('empty submit round trip (p50)', median(trips), 'ms');
  const scratch = d.createBacking(P, 'bench');
  const small: Range = { backing: scratch, offset: 0, bytes: 1024 };
  trips.length = 0;
  for (let i = 0; i < 200; i++) {
    t0 = performance.now();
    d.launch(fill(small, 256, i));
    await d.submit();
    trips.push(performance.now() - t0);
  }
  row('one small kernel + submit round trip (p50)', median(trips), 'ms');
  row('host cost of one launch (fill, through GpuDevice.launch)', await hostCost(d, () => d.launch(fill(small, 256, 1))), 'us');
  const fillIndex = d.cu.kernels().findIndex((k) => k.name === 'fill');
  const ptrs = new BigUint64Array([d.pointer(small)]);
  const params = fill(small, 256, 1).params!;
  const stream = d.trainingStream;
  row('host cost of one launch (fill, raw addon call)', await hostCost(d, () => d.cu.launch(fillIndex, ptrs, params, 256, 1, 1, stream)), 'us');
  await d.fence();
  d.destroyBacking(scratch);

  // Zero-fill vs device-to-device copy.
  const G = 2 ** 30;
  const mem = d.createBacking(2 * G, 'bench');
  const lo: Range = { backing: mem, offset: 0, bytes: G };
  const hi: Range = { backing: mem, offset: G, bytes: G };
  const zeroMs = await timeIt(d, 20, () => d.zero(lo));
  row('zero-fill 1 GiB (cudaMemsetAsync, own stream)', G / zeroMs / 1e6, 'GB/s', `${zeroMs.toFixed(3)} ms per GiB`);
  const copyMs = await timeIt(d, 20, () => d.copy(lo, hi));
  row('copy 1 GiB device to device', G / copyMs / 1e6, 'GB/s', `${copyMs.toFixed(3)} ms; reads and writes 1 GiB each`);
  d.destroyBacking(mem);
  await d.fence();

  // GEMM (fp32, no TF32: cuBLAS default math, as torch's default allow_tf32 = False).
  const shapes: [number, number, number][] = [[256, 1024, 784], [1024, 1024, 1024], [2048, 2048, 2048], [4096, 4096, 4096], [8192, 8192, 8192]];
  for (const [m, nn, k] of shapes) {
    const bytes = (m * k + k * nn + m * nn) * 4;
    const b = d.createBacking(Math.ceil(bytes / P) * P + 3 * P, 'gemm');
    const at = (off: number, len: number): Range => ({ backing: b, offset: off, bytes: len });
    const aBytes = Math.ceil((m * k * 4) / 256) * 256;
    const bBytes = Math.ceil((k * nn * 4) / 256) * 256;
    const A = at(0, m * k * 4);
    const B = at(aBytes, k * nn * 4);
    const C = at(aBytes + bBytes, m * nn * 4);
    d.zero({ backing: b, offset: 0, bytes: b.bytes });
    const flop = 2 * m * nn * k;
    const reps = Math.max(3, Math.min(5000, Math.round(2e12 / flop))); // about 40 ms of GPU time or more
    const ms = await timeIt(d, reps, () => d.launch(matmul({ a: A, b: B, c: C, m, n: nn, k })));
    row(`gemm ${m}x${nn}x${k} fp32`, flop / ms / 1e9, 'TFLOP/s', `${ms.toFixed(3)} ms`);
    if (m === 256) {
      row('host cost of one launch (matmul, through GpuDevice.launch)', await hostCost(d, () => d.launch(matmul({ a: A, b: B, c: C, m, n: nn, k }))), 'us');
      const [pa, pb, pc] = [d.pointer(A), d.pointer(B), d.pointer(C)];
      row('host cost of one cublasSgemm (raw addon call)', await hostCost(d, () => d.cu.gemm(d.blasHandle, pa, pb, pc, m, nn, k, false, false, 1, 0)), 'us');
    }
    d.destroyBacking(b);
    await d.fence();
  }

  const result = { device: `${d.info.name} (${d.info.architecture}, driver ${d.props.driverVersion})`, date: new Date().toISOString(), rows };
  d.destroy();
  return result;
}

export function table(r: BenchResult): string {
  const lines = [`| ${r.device}, ${r.date} | handover CUDA | PyTorch | ratio |`, '| --- | --- | --- | --- |'];
  for (const x of r.rows) {
    const t = x.torch !== undefined ? `${x.torch.toFixed(2)} ${x.unit}` : '';
    const ratio = x.torch ? (x.value / x.torch).toFixed(2) : '';
    lines.push(`| ${x.name} | ${x.value.toFixed(x.value < 1 ? 3 : 2)} ${x.unit}${x.note ? ` (${x.note})` : ''} | ${t} | ${ratio} |`);
  }
  return lines.join('\n');
}

const argv = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}`) {
  const ti = argv.indexOf('--torch');
  const torch = ti >= 0 ? (JSON.parse(readFileSync(argv[ti + 1]!, 'utf8')) as Record<string, number>) : {};
  const r = await runBench(torch);
  const ji = argv.indexOf('--json');
  if (ji >= 0) writeFileSync(argv[ji + 1]!, JSON.stringify(r, null, 2));
  console.log(`\n${table(r)}`);
}
