// Probe: matmul at the trainer's shapes on this device (ms per launch, GFLOP/s): the
// device's own choice (`matmul`), and each named variant (MATMUL_VARIANTS) where it applies.
// Needs dist/ (npm run build). SHAPES: comma-separated MxNxK[:tA][:tB]; VARIANTS: names, or none;
// REPS: launches back to back between two fences (default 20), BLOCKS such timed blocks per
// kernel and shape (default 3; the median block is reported, so one slow block does not
// decide). The last line names the
// fastest wide GEMM kernel (WIDE_GEMMS) over the shapes all of them ran ("best wide GEMM: NAME"),
// which scripts/device-webgpu-rounds.sh passes to the training bench.
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { WebGpuDevice } = await d('devices/webgpu/device.js');
const { matmul, matmulOn, MATMUL_VARIANTS } = await d('kernels/matmul.js');
const { WIDE_GEMMS, namedMatmulFits } = await d('devices/webgpu/variants.js');
const dev = await WebGpuDevice.open({ log: () => {} });
const buf = (n) => {
  const r = { backing: dev.createBacking(n * 4), offset: 0, bytes: n * 4 };
  dev.write(r, Float32Array.from({ length: n }, () => Math.random() - 0.5));
  return r;
};
const shapes = (process.env.SHAPES ?? '128x256x64,128x256x256,128x10x256,256x256x128:tA,128x256x10:tB,128x256x256:tB').split(',');
const variants = process.env.VARIANTS === undefined ? Object.keys(MATMUL_VARIANTS) : process.env.VARIANTS.split(',').filter((v) => v && v !== 'none');
const reps = Number(process.env.REPS ?? 20);
const blocks = Number(process.env.BLOCKS ?? 3);
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const wideMs = new Map(WIDE_GEMMS.map((w) => [w, []]));
console.log(`device ${dev.info.name}; ${reps} launches between fences, median of ${blocks} blocks; kernel ms (GFLOP/s)`);
for (const s of shapes) {
  const [dims, ...flags] = s.split(':');
  const [m, n, k] = dims.split('x').map(Number);
  const x = { a: buf(m * k), b: buf(k * n), c: buf(m * n), m, n, k, transA: flags.includes('tA'), transB: flags.includes('tB') };
  const kinds = [['matmul', () => matmul(x)], ...variants.map((v) => [v, () => matmulOn(v, x)])];
  const line = [];
  for (const [name, make] of kinds) {
    const l = make();
    if (name !== 'matmul' && !namedMatmulFits(name, l.params)) continue;
    for (let i = 0; i < 2; i++) dev.launch(l);
    await dev.fence();
    const times = [];
    for (let j = 0; j < blocks; j++) {
      const t = performance.now();
      for (let i = 0; i < reps; i++) dev.launch(l);
      await dev.fence();
      times.push((performance.now() - t) / reps);
    }
    const ms = median(times);
    wideMs.get(name)?.push(ms);
    line.push(`${name} ${ms.toFixed(3)} (${((2 * m * n * k) / ms / 1e6).toFixed(0)})`);
  }
  console.log(`${s.padEnd(16)} ${line.join(' | ')}`);
}
const ran = [...wideMs].filter(([, ms]) => ms.length === Math.max(...[...wideMs.values()].map((v) => v.length)) && ms.length > 0);
const total = (ms) => ms.reduce((a, b) => a + b, 0);
if (ran.length) console.log(`best wide GEMM: ${ran.sort((a, b) => total(a[1]) - total(b[1]))[0][0]} (${ran.map(([w, ms]) => `${w} ${total(ms).toFixed(3)} ms`).join(', ')})`);
dev.destroy();
