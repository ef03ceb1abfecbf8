#!/usr/bin/env node
// Diagnostics: runs `handover ARGS...` with the async steps of a handover
// (core admit, trainer require, gate close/hold/resume, store load/run, device
// fence) logged to stderr with timestamps, so a run that stops progressing
// shows where it waits.   node scripts/trace-run.mjs run --backend cuda ...
const d = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
const [{ Trainer }, { Gate }, { ModelStore }, { Executor }, { GpuDevice }] = await Promise.all([
  d('train/trainer.js'), d('core/gate.js'), d('infer/store.js'), d('infer/executor.js'), d('core/device.js'),
]);
const t0 = performance.now();
let n = 0;
const limit = Number(process.env.TRACE_LIMIT ?? 400);
const log = (s) => n++ < limit && process.stderr.write(`[trace ${(performance.now() - t0).toFixed(1)} ms] ${s}\n`);
function wrap(cls, name, describe = () => '') {
  const f = cls.prototype[name];
  cls.prototype[name] = function (...a) {
    const id = n;
    log(`${cls.name}.${name}(${describe(...a)}) enter #${id}`);
    const r = f.apply(this, a);
    if (r && typeof r.then === 'function') r.then(() => log(`${cls.name}.${name} done #${id}`), (e) => log(`${cls.name}.${name} threw #${id}: ${e?.message ?? e}`));
    return r;
  };
}
wrap(Trainer, 'require', (b) => b);
wrap(Trainer, 'release', (b) => b);
wrap(Gate, 'close');
wrap(Gate, 'hold');
wrap(Gate, 'resume');
wrap(Gate, 'drain');
wrap(ModelStore, 'load', (m) => m);
wrap(ModelStore, 'run', (m) => m);
wrap(ModelStore, 'unload', (m) => m);
wrap(Executor, 'run');
wrap(GpuDevice, 'fence');
const { run } = await d('cli/main.js');
process.exitCode = await run(process.argv.slice(2));
