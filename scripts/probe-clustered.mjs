// Latency of requests that arrive together, on the request path of one
// system of `handover run` (default taskswitch, i.e. inference alone on the
// README trace): k = 1, 2, 3 requests for different models at once, 200 times
// each, GAP ms apart (default 12); p50/p90/p99/max of each one's latency from
// their common arrival. Needs dist/ (npx tsc -p tsconfig.json). Usage:
//   SYS=taskswitch GAP=12 node scripts/probe-clustered.mjs
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { WebGpuDevice } = await d('devices/webgpu/device.js');
const { DEFAULT_TESTBED, buildTestbed } = await d('eval/testbed.js');
const { calibrate } = await d('eval/calibrate.js');
const { systemPolicy } = await d('sched/systems.js');
const { loadDigits } = await d('train/data-node.js');
const spec = DEFAULT_TESTBED;
const dev = await WebGpuDevice.open({ log: () => {} });
const timings = await calibrate(dev, spec);
console.log('exec', timings.map((t) => t.execMs.toFixed(2)).join(' '), 'slo', timings.map((t) => t.sloMs.toFixed(2)).join(' '));
const tuned = { tIdleMs: 1000, watermarkBytes: Math.max(...timings.map((t) => Math.ceil(t.bytes / spec.pageBytes) * spec.pageBytes)) };
const bed = await buildTestbed(dev, systemPolicy(process.env.SYS ?? 'taskswitch', tuned), tuned, spec, loadDigits(spec.seed).train);
const sys = bed.system;
const names = bed.instances.map((m) => m.name);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const m of names) await sys.infer(m, bed.inputs.get(m));
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
for (const k of [1, 2, 3]) {
  const lat = Array.from({ length: k }, () => []);
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, (_, j) => sys.infer(names[(i * 3 + j) % names.length], bed.inputs.get(names[(i * 3 + j) % names.length])).then(() => lat[j].push(performance.now() - t0))));
    await sleep(Number(process.env.GAP ?? 12));
  }
  console.log(`k=${k}`, lat.map((l, j) => `#${j} p50 ${q(l, 0.5).toFixed(2)} p90 ${q(l, 0.9).toFixed(2)} p99 ${q(l, 0.99).toFixed(2)} max ${Math.max(...l).toFixed(2)}`).join(' | '));
}
await sys.destroy();
