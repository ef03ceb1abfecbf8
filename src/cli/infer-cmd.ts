// `handover infer --model FILE [--batch N] [--check] [--runs R] [--json]`:
// runs a model on random inputs from the arena, times the cold start
// (load-then-run and pipelined), and with --check compares with onnxruntime-node.
import { Arena } from '../core/arena.js';
import { UsageError } from '../core/errors.js';
import { seeded } from '../core/random.js';
import { parseModel } from '../onnx/loader.js';
import { compare, runOrt } from '../infer/ort.js';
import { randomInputs } from '../infer/random-inputs.js';
import { ModelStore } from '../infer/store.js';
import { gpuOps } from '../infer/ops/index.js';
import { profileLines, profileRun } from '../infer/profile.js';
import { ARENA_MB_MAX, intFlag, parseFlags, usage, type FlagSpec } from './args.js';
import { checkModelFile } from './model-check.js';
import { printJson } from './output.js';
import { ProgressBar } from './progress.js';
import { openDevice } from './open-device.js';

export const inferSpec: FlagSpec = {
  model: { type: 'string', help: 'the .onnx file' },
  batch: { type: 'number', default: 1, help: 'value of the batch (first symbolic) dim; other symbolic dims are 1', int: true, min: 1, max: 65_536 },
  check: { type: 'boolean', default: false, help: 'compare with onnxruntime-node on the same inputs' },
  runs: { type: 'number', default: 5, help: 'timed warm runs', int: true, min: 1, max: 100_000 },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, model, batch, p50Ms, ...}; the human lines go to stderr' },
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  'arena-mb': { type: 'number', default: 512, help: 'arena size in MiB', min: 0, above: true, max: ARENA_MB_MAX },
  seed: { type: 'number', default: 1, help: 'seed of the random inputs', int: true, min: 0 },
  profile: { type: 'boolean', default: false, help: 'per-op GPU time of one run (timestamp queries where available), slowest ops printed' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export async function inferCommand(argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, inferSpec);
  if (flags.help) {
    console.log(usage('infer --model FILE [flags]', inferSpec));
    return 0;
  }
  const file = flags.model as string | undefined;
  if (!file) throw new UsageError(`--model is required\n${usage('infer --model FILE [flags]', inferSpec)}`);
  const batch = intFlag(flags, 'batch');
  const runs = intFlag(flags, 'runs');
  const log = (l: string) => console.log(l);
  const step = (l: string) => console.error(`infer: ${l}`);

  const graph = checkModelFile(file, '--model'); // a bad file fails here, before the device opens
  const dev = await openDevice(String(flags.backend), (l) => console.error(l));
  const arena = new Arena(dev, { bytes: (flags['arena-mb'] as number) * 1024 * 1024 });
  try {
    const store = new ModelStore(arena);
    const firstSymbol = graph.inputs.flatMap((io) => io.dims).find((d): d is string => typeof d === 'string');
    const inputs = randomInputs(graph, (s) => (s === firstSymbol ? batch : 1), seeded(flags.seed as number));
    const name = 'model';
    const info = store.register(name, file);
    store.register(`${name}-pipelined`, file);
    log(`${file}: ${graph.nodes.length} nodes, opset ${graph.opset}, ${(info.bytes / 1048576).toFixed(2)} MiB of weights`);
    // Compile every kernel first, so neither cold start below pays (or is spared) the compiler.
    step(`compiling kernels`);
    await dev.prepare([...new Set(Object.values(gpuOps).flatMap((op) => op.kernels))]);

    step(`cold start: loading the weights and running once, then again pipelined`);
    let t0 = dev.now();
    await store.load(name);
    let ours = await store.run(name, inputs);
    const loadThenRunMs = dev.now() - t0;
    const loadMs = store.get(name)!.loadMs;
    t0 = dev.now();
    await store.run(`${name}-pipelined`, inputs);
    const pipelinedMs = dev.now() - t0;
    await store.unload(`${name}-pipelined`);
    log(`cold start: load ${loadMs.toFixed(1)} ms; load-then-run ${loadThenRunMs.toFixed(1)} ms; pipelined load+run ${pipelinedMs.toFixed(1)} ms`);

    const times: number[] = [];
    const bar = new ProgressBar('infer: warm runs', Math.max(1, Math.ceil(runs / 10)));
    for (let r = 0; r < runs; r++) {
      t0 = dev.now();
      ours = await store.run(name, inputs);
      times.push(dev.now() - t0);
      bar.update(r + 1, runs, `${times[times.length - 1]!.toFixed(1)} ms`);
    }
    bar.done();
    times.sort((a, b) => a - b);
    const p50Ms = times[Math.floor((times.length - 1) / 2)]!;
    log(`warm runs (batch ${batch}): p50 ${p50Ms.toFixed(2)} ms, min ${times[0]!.toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms`);

    const result: Record<string, unknown> = { model: file, batch, maxAbsErr: null, relErr: null, p50Ms, loadMs, loadThenRunMs, pipelinedMs };
    if (flags.profile) {
      const prof = await profileRun(store, dev, name, inputs);
      for (const l of profileLines(prof)) (flags.json ? console.error : console.log)(l);
      result.profile = { how: prof.how, totalMs: prof.totalMs, steps: prof.steps };
    }
    let ok = true;
    if (flags.check) {
      step('running onnxruntime-node on the same inputs');
      const ref = await runOrt(file, inputs);
      const { maxAbsErr, relErr } = compare(ours, ref);
      Object.assign(result, { maxAbsErr, relErr });
      ok = relErr <= 1e-4;
      log(`check vs onnxruntime-node: maxAbsErr ${maxAbsErr.toExponential(3)}, relErr ${relErr.toExponential(3)} ${ok ? '(ok)' : '(FAILED: above 1e-4)'}`);
    }
    await store.unload(name);
    if (flags.json) printJson(dev, dev.info.backend, result);
    return ok ? 0 : 1;
  } finally {
    arena.destroy();
    dev.destroy();
  }
}
