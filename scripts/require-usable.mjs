#!/usr/bin/env node
// REQUIRE-to-usable against training with big kernels in flight: an MLP
// trains in an arena; REQUIREs of each size arrive at random moments (most
// land during gradient computation) and each is timed until its pages are
// reclaimed, zero-filled and usable (Trainer.require: gate close, discard,
// reclaim + zero, fence), then released. Run once with whole kernels and once
// with time-sliced training (the gate keeps at most a slice budget of work in
// flight, src/core/slicing.ts), in the same process.
//
//   node scripts/require-usable.mjs [--backend cuda] [--layers 8192-8192] [--features 1024] [--micro 4096]
//     [--arena-gb 8] [--sizes-mb 64,1024,4096] [--reps 8] [--slo-ms 20] [--out FILE.json]
// Runs from dist/ when built (the GPU machine), else from the sources through tsx.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: o } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' }, layers: { type: 'string', default: '256-256' }, features: { type: 'string', default: '64' },
    micro: { type: 'string', default: '256' }, 'arena-gb': { type: 'string', default: '0.0625' }, 'sizes-mb': { type: 'string', default: '1,8' },
    reps: { type: 'string', default: '4' }, 'slo-ms': { type: 'string', default: '20' }, out: { type: 'string' }, modes: { type: 'string', default: 'whole,sliced' },
  },
});
const built = existsSync(join(root, 'dist/src/core/arena.js'));
const mod = (p) => import(pathToFileURL(join(root, built ? `dist/src/${p}.js` : `src/${p}.ts`)).href);
const { Arena } = await mod('core/arena');
const { Gate } = await mod('core/gate');
const { SlicingPolicy } = await mod('core/slicing');
const { Trainer } = await mod('train/trainer');
const { openDevice } = await mod('cli/open-device');

const dev = await openDevice(o.backend, (l) => console.error(l));
const features = Number(o.features);
const hidden = o.layers.split('-').map(Number);
const micro = Number(o.micro);
const n = micro * 2;
let s = 7;
const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const data = { name: 'random', x: Float32Array.from({ length: n * features }, () => rnd() * 2 - 1), labels: Uint32Array.from({ length: n }, (_, i) => i % 10), n, features, classes: 10 };
const idx = Uint32Array.from({ length: micro }, (_, i) => i);
const sizes = o['sizes-mb'].split(',').map((x) => Number(x) * 2 ** 20);
const result = { backend: o.backend, device: dev.info.name, date: new Date().toISOString(), layers: [features, ...hidden, 10], microBatch: micro, arenaGb: Number(o['arena-gb']), modes: [] };

const q = (a, p) => a[Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1))];
try {
  for (const mode of o.modes.split(',')) {
    const arena = new Arena(dev, { bytes: Math.floor(Number(o['arena-gb']) * 2 ** 30) });
    let slicing = null;
    if (mode === 'sliced') {
      slicing = new SlicingPolicy({ expectMs: 1e9 });
      slicing.serve('request', Number(o['slo-ms'])); // the budget: a fraction of this SLO
      slicing.expect();
    }
    const gate = new Gate(dev, { maxInFlight: 3, slicing });
    const trainer = new Trainer(arena, gate, { layers: [features, ...hidden, 10], optimizer: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0, effectiveBatch: micro, microBatch: micro, seed: 1 });
    trainer.init();
    let stop = false;
    const t0 = performance.now();
    await trainer.step(data, idx); // compiles, sizes the micro-batch
    const stepMs = performance.now() - t0;
    const training = (async () => {
      while (!stop) await trainer.step(data, idx);
    })();
    const rows = [];
    for (const bytes of sizes) {
      const ms = [];
      const phases = [];
      let discards = 0;
      for (let r = 0; r < Number(o.reps); r++) {
        await new Promise((res) => setTimeout(res, 5 + rnd() * Math.min(200, stepMs)));
        const rep = await trainer.require(arena.freeBytes + bytes); // the free pages and `bytes` of what training holds
        ms.push(rep.totalMs);
        phases.push(rep);
        if (rep.discarded) discards++;
        trainer.release(arena.bytesOf(rep.givenPages));
      }
      ms.sort((a, b) => a - b);
      const med = (k) => q(phases.map((p) => p[k]).sort((a, b) => a - b), 0.5);
      rows.push({ mb: bytes / 2 ** 20, n: ms.length, p50: q(ms, 0.5), p99: q(ms, 0.99), max: ms.at(-1), discards, closeP50: med('closeMs'), discardP50: med('discardMs'), reclaimP50: med('reclaimMs'), microBatch: trainer.stats.microBatch });
      console.error(`${mode}: REQUIRE ${bytes / 2 ** 20} MiB: p50 ${q(ms, 0.5).toFixed(2)} ms, p99 ${q(ms, 0.99).toFixed(2)} ms (close ${med('closeMs').toFixed(2)}, reclaim+zero ${med('reclaimMs').toFixed(2)}), ${discards}/${ms.length} discarded`);
    }
    stop = true;
    trainer.release(arena.bytes);
    await training;
    const samplesPerS = trainer.stats.samples / ((performance.now() - t0) / 1000);
    result.modes.push({ mode, stepMs, samplesPerS, rows });
    arena.destroy();
  }
} finally {
  dev.destroy();
}
console.log(`| training kernels | REQUIRE MiB | n | p50 ms | p99 ms | max ms | close p50 | reclaim+zero p50 | discards |`);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const m of result.modes) for (const r of m.rows) console.log(`| ${m.mode} | ${r.mb} | ${r.n} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${r.closeP50.toFixed(2)} | ${r.reclaimP50.toFixed(2)} | ${r.discards} |`);
for (const m of result.modes) console.log(`${m.mode}: first step ${m.stepMs.toFixed(0)} ms; ${m.samplesPerS.toFixed(0)} samples/s over the run (REQUIREs included)`);
if (o.out) writeFileSync(o.out, JSON.stringify(result, null, 2));
