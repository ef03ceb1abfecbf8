// Probe: where a training micro-batch's time goes on this device (per kernel, submit to done).
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const { WebGpuDevice } = await d('devices/webgpu/device.js');
const { DEFAULT_TESTBED, buildTestbed } = await d('eval/testbed.js');
const { systemPolicy } = await d('sched/systems.js');
const { loadDigits } = await d('train/data-node.js');
const dev = await WebGpuDevice.open({ log: () => {} });
const mb = Number(process.env.MICRO_BATCH ?? 128);
const spec = { ...DEFAULT_TESTBED, train: { ...DEFAULT_TESTBED.train, microBatch: mb } };
const tuned = { tIdleMs: 1e6, watermarkBytes: 0 };
const bed = await buildTestbed(dev, systemPolicy(process.env.SYSTEM ?? 'handover', tuned), tuned, spec, loadDigits(spec.seed).train);
const sys = bed.system;
const per = new Map(); let pending = [];
const launch = dev.launch.bind(dev); dev.launch = (l) => { pending.push(l.kernel + (l.rows != null ? '' : '')); return launch(l); };
const submit = dev.submit.bind(dev);
dev.submit = () => { const names = pending; pending = []; const t = performance.now(); const p = submit(); p.then(() => { const ms = performance.now() - t; const k = names.join('+') || '(empty)'; const e = per.get(k) ?? { n: 0, ms: 0 }; e.n++; e.ms += ms; per.set(k, e); }); return p; };
// buildTestbed starts the system
const s0 = sys.trainer.stats.samples; const t0 = performance.now();
await new Promise((r) => setTimeout(r, Number(process.env.SECONDS ?? 6) * 1000));
const samples = sys.trainer.stats.samples - s0; const wall = performance.now() - t0;
await sys.destroy();
console.log(`micro-batch ${mb}: ${(samples / wall * 1000).toFixed(0)} samples/s`);
const rows = [...per].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
const tot = [...per.values()].reduce((s, e) => s + e.ms, 0);
for (const [k, e] of rows) console.log(`${(100 * e.ms / tot).toFixed(1).padStart(5)}%  n ${String(e.n).padStart(5)}  avg ${(e.ms / e.n).toFixed(3)} ms  ${k.slice(0, 120)}`);
dev.destroy();
