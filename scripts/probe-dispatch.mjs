// Probe: a dispatch's fixed cost on this device: N tiny launches in one submit, and N submits in flight.
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { WebGpuDevice } = await d('devices/webgpu/device.js');
const el = await d('kernels/elementwise.js');
const dev = await WebGpuDevice.open({ log: () => {} });
const n = 2560;
const mk = () => { const b = dev.createBacking(n * 4); return { backing: b, offset: 0, bytes: n * 4 }; };
const x = mk(), y = mk();
dev.write(x, Float32Array.from({ length: n }, () => Math.random() - 0.5));
const relu = () => el.relu(x, y, n);
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const N of [0, 1, 2, 5, 10, 20]) {
  const one = [], many = [];
  for (let r = 0; r < 15; r++) {
    let t = performance.now();
    for (let i = 0; i < N; i++) dev.launch(relu());
    await dev.submit();
    one.push(performance.now() - t);
    t = performance.now();
    const ps = [];
    for (let i = 0; i < N; i++) { dev.launch(relu()); ps.push(dev.submit()); }
    await Promise.all(ps);
    many.push(performance.now() - t);
  }
  console.log(`N=${N}: one submit ${med(one).toFixed(2)} ms; N submits ${med(many).toFixed(2)} ms`);
}
dev.destroy();
