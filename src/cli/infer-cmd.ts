// `handover infer --model FILE [--batch N] [--check] [--runs R] [--json]`:
// runs a model on random inputs from the arena, times the cold start
// (load-then-run and pipelined), and with --check compares with onnxruntime-node.
import { readFileSync } from 'node:fs';
import { Arena } from '../core/arena.js';
import { UsageError } from '../core/errors.js';
import { seeded } from '../core/random.js';
import { parseModel } from '../onnx/loader.js';
import { compare, runOrt } from '../infer/ort.js';
import { randomInputs } from '../infer/random-inputs.js';
import { ModelStore } from '../infer/store.js';
import { gpuOps } from '../infer/ops/index.js';
import { profileLines, profileRun } from '../infer/profile.js';
import { intFlag, parseFlags, usage, type FlagSpec } from './args.js';
import { openDevice } from './open-device.js';

export const inferSpec: FlagSpec = {
  model: { type: 'string', help: 'the .onnx file' },
  batch: { type: 'number', default: 1, help: 'value of the batch (first symbolic) dim; other symbolic dims are 1' },
  check: { type: 'boolean', default: false, help: 'compare with onnxruntime-node on the same inputs' },
  runs: { type: 'number', default: 5, help: 'timed warm runs' },
  json: { type: 'boolean', default: false, help: 'last line: one JSON object' },
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda' },
  'arena-mb': { type: 'number', default: 512, help: 'arena size in MiB' },
  seed: { type: 'number', default: 1, help: 'seed of the random inputs' },
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
  const log = (l: string) => { if (!flags.json) console.log(l); };

  const dev = await openDevice(String(flags.backend), (l) => console.error(l));
  const arena = new Arena(dev, { bytes: (flags['arena-mb'] as number) * 1024 * 1024 });
  try {
    const store = new ModelStore(arena);
    const graph = parseModel(readFileSync(file), file);
    const firstSymbol = graph.inputs.flatMap((io) => io.dims).find((d): d is string => typeof d === 'string');
    const inputs = randomInputs(graph, (s) => (s === firstSymbol ? batch : 1), seeded(flags.seed as number));
    const name = 'model';
    const info = store.register(name, file);
    store.register(`${name}-pipelined`, file);
    log(`${file}: ${graph.nodes.length} nodes, opset ${graph.opset}, ${(info.bytes / 1048576).toFixed(2)} MiB of weights`);
    // Compile every kernel first, so neither cold start below pays (or is spared) the compiler.
    await dev.prepare([...new Set(Object.values(gpuOps).flatMap((op) => op.kernels))]);

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
    for (let r = 0; r < runs; r++) {
      t0 = dev.now();
      ours = await store.run(name, inputs);
      times.push(dev.now() - t0);
    }
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
      const ref = await runOrt(file, inputs);
      const { maxAbsErr, relErr } = compare(ours, ref);
      Object.assign(result, { maxAbsErr, relErr });
      ok = relErr <= 1e-4;
      log(`check vs onnxruntime-node: maxAbsErr ${maxAbsErr.toExponential(3)}, relErr ${relErr.toExponential(3)} ${ok ? '(ok)' : '(FAILED: above 1e-4)'}`);
    }
    await store.unload(name);
    if (flags.json) console.log(JSON.stringify(result));
    return ok ? 0 : 1;
  } finally {
    arena.destroy();
    dev.destroy();
  }
}
