// The `handover` command line: one subcommand per file.
import { HandoverError, UsageError } from '../core/errors.js';
import { deviceCommand } from './device-cmd.js';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { run: () => Promise<Command>; help: string }> = {
  device: { run: async () => deviceCommand, help: 'show the GPU adapter, its limits and whether it is SwiftShader' },
  train: { run: async () => (await import('./train-cmd.js')).trainCommand, help: 'train an MLP elastically through the gate' },
  'train-dist': { run: async () => (await import('./train-dist-cmd.js')).trainDistCommand, help: 'data-parallel training, one process per GPU, NCCL all-reduce after a CPU agreement' },
  bench: { run: async () => (await import('./bench-cmd.js')).benchCommand, help: 'benchmarks: handover, arena' },
  serve: { run: async () => (await import('./serve-cmd.js')).serveCommand, help: 'serve ONNX models over the KServe v2 / Triton HTTP protocol' },
  infer: { run: async () => (await import('./infer-cmd.js')).inferCommand, help: 'run an ONNX model on random inputs; --check compares with onnxruntime-node' },
  tune: { run: async () => (await import('./tune-cmd.js')).tuneCommand, help: 'choose (T_idle, W) for a trace and SLO target with the queueing model' },
  run: { run: async () => (await import('./run-cmd.js')).runCommand, help: 'play a trace against each system (handover, SP-75, TaskSwitch, ...) and write an HTML report' },
  optest: { run: async () => (await import('./optest-cmd.js')).optestCommand, help: 'run onnxruntime-web operator test tables (.jsonc) on the engine' },
};

export function register(name: string, help: string, load: () => Promise<Command>): void {
  commands[name] = { run: load, help };
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help') {
    console.log('usage: handover <command> [flags]\n');
    for (const [k, c] of Object.entries(commands)) console.log(`  ${k.padEnd(10)} ${c.help}`);
    return name ? 0 : 2;
  }
  const c = commands[name];
  if (!c) {
    console.error(`handover: unknown command '${name}' (try 'handover help')`);
    return 2;
  }
  try {
    return await (await c.run())(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`handover ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof HandoverError) {
      console.error(`handover ${name}: ${e.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
