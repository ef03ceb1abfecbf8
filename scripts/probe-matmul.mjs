// Probe: matmul kernels on this device at the trainer's shapes (ms per launch, GFLOP/s).
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { WebGpuDevice } = await d('devices/webgpu/device.js');
const { matmul, matmulTiled64 } = await d('kernels/matmul.js');
const { packParams } = await d('core/device.js');
const gen = await d('devices/webgpu/shaders.gen.js');
const fs = await import('node:fs');
const inc = fs.readFileSync(new URL('../shaders/include/matmul_bindings.wgsl', import.meta.url), 'utf8');
for (const f of (process.env.PROBE_DIR ? fs.readdirSync(process.env.PROBE_DIR) : [])) gen.wgslSources[f.replace('.wgsl','')] = fs.readFileSync(process.env.PROBE_DIR + '/' + f, 'utf8').replace('//! include matmul_bindings.wgsl', inc);
const dev = await WebGpuDevice.open({ log: () => {} });
const buf = (n) => { const b = dev.createBacking(n * 4); const r = { backing: b, offset: 0, bytes: n * 4 }; const x = new Float32Array(n); for (let i = 0; i < n; i++) x[i] = Math.random() - 0.5; dev.write(r, x); return r; };
const extra = (process.env.KERNELS ?? '').split(',').filter(Boolean);
const shapes = (process.env.SHAPES ?? '128x256x64,128x256x256,128x10x256,256x256x128:tA,128x256x10:tB,128x256x256:tB').split(',');
for (const s of shapes) {
  const [dims, fl] = s.split(':');
  const [m, n, k] = dims.split('x').map(Number);
  const transA = fl?.includes('tA') ?? false, transB = fl?.includes('tB') ?? false;
  const a = buf(m * k), b = buf(k * n), c = buf(m * n);
  const x = { a, b, c, m, n, k, transA, transB };
  const kinds = { matmul: () => matmul(x), tiled64: () => matmulTiled64(x) };
  for (const name of extra) kinds[name] = () => { const l = matmul(x); return { ...l, kernel: name, threads: JSON.parse(process.env['THREADS_' + name] ?? 'null')?.map((e) => eval(e)) ?? l.threads }; };
  const line = [];
  for (const [name, mk] of Object.entries(kinds)) {
    for (let i = 0; i < 2; i++) { dev.launch(mk()); await dev.submit(); }
    const reps = 8; const t = performance.now();
    for (let i = 0; i < reps; i++) { dev.launch(mk()); await dev.submit(); }
    const ms = (performance.now() - t) / reps;
    line.push(`${name} ${ms.toFixed(2)} ms (${(2 * m * n * k / ms / 1e6).toFixed(2)} GF/s)`);
  }
  console.log(`${s.padEnd(16)} ${line.join(' | ')}`);
}
dev.destroy();
