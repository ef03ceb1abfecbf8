// The `handover` command line: one subcommand per file. Here, once for every
// command: `--help` (exit 0), user errors as one line with exit code 2 (no
// stack trace), and `--json` runs whose stdout carries only the JSON object.
import { HandoverError, UsageError } from '../core/errors.js';
import { HelpRequest, usage } from './args.js';
import { deviceCommand } from './device-cmd.js';
import { userErrorLine } from './errors.js';
import { beginJsonMode, endJsonMode } from './output.js';

type Command = (argv: string[]) => Promise<number>;

interface Entry {
  run: () => Promise<Command>;
  help: string;
  /** What follows `handover NAME` in the usage line. */
  synopsis?: string;
}

const commands: Record<string, Entry> = {
  device: { run: async () => deviceCommand, help: 'show the GPU adapter, its limits and whether it is SwiftShader' },
  train: { run: async () => (await import('./train-cmd.js')).trainCommand, help: 'train an MLP elastically through the gate' },
  'train-dist': { run: async () => (await import('./train-dist-cmd.js')).trainDistCommand, help: 'data-parallel training, one process per GPU, NCCL all-reduce after a CPU agreement' },
  bench: { run: async () => (await import('./bench-cmd.js')).benchCommand, help: 'benchmarks: handover, arena', synopsis: 'handover|arena [flags]' },
  serve: { run: async () => (await import('./serve-cmd.js')).serveCommand, help: 'serve ONNX models over the KServe v2 / Triton HTTP protocol', synopsis: '--model NAME=FILE [--model NAME=FILE ...] [flags]' },
  infer: { run: async () => (await import('./infer-cmd.js')).inferCommand, help: 'run an ONNX model on random inputs; --check compares with onnxruntime-node', synopsis: '--model FILE [flags]' },
  tune: { run: async () => (await import('./tune-cmd.js')).tuneCommand, help: 'choose (T_idle, W) for a trace and SLO target with the queueing model' },
  run: { run: async () => (await import('./run-cmd.js')).runCommand, help: 'play a trace against each system (handover, SP-75, TaskSwitch, ...) and write an HTML report' },
  optest: { run: async () => (await import('./optest-cmd.js')).optestCommand, help: 'run onnxruntime-web operator test tables (.jsonc) on the engine', synopsis: 'PATH... (files or folders of .jsonc; default ../shared/optests) [flags]' },
};

export function register(name: string, help: string, load: () => Promise<Command>, synopsis?: string): void {
  commands[name] = { run: load, help, synopsis };
}

/** The names of every command (tests run each with --help). */
export function commandNames(): string[] {
  return Object.keys(commands);
}

function overview(): string {
  const lines = Object.entries(commands).map(([k, c]) => `  ${k.padEnd(10)} ${c.help}`);
  return `usage: handover <command> [flags]   (handover <command> --help for its flags)\n\n${lines.join('\n')}`;
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    if (name === 'help' && rest[0] && commands[rest[0]]) return run([rest[0], '--help']);
    (name ? console.log : console.error)(overview());
    return name ? 0 : 2;
  }
  const c = commands[name];
  if (!c) {
    console.error(`handover: unknown command '${name}'; the commands are ${Object.keys(commands).join(', ')} (handover --help)`);
    return 2;
  }
  const json = rest.includes('--json') && !rest.includes('--help') && !rest.includes('-h');
  if (json) beginJsonMode();
  try {
    return await (await c.run())(rest);
  } catch (e) {
    if (e instanceof HelpRequest) {
      console.log(`${c.help}\n${usage(`${name} ${c.synopsis ?? '[flags]'}`, e.spec)}`);
      return 0;
    }
    if (e instanceof UsageError) {
      console.error(`handover ${name}: ${e.message.split('\n')[0]} (handover ${name} --help)`);
      return 2;
    }
    const user = userErrorLine(e);
    if (user) {
      console.error(`handover ${name}: ${user}`);
      return 2;
    }
    if (process.env.HANDOVER_DEBUG) console.error(e);
    else if (e instanceof HandoverError) console.error(`handover ${name}: ${e.name}: ${e.message.split('\n')[0]}`);
    else console.error(`handover ${name}: internal error: ${e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e)} (HANDOVER_DEBUG=1 shows the stack; please report it)`);
    return 1;
  } finally {
    if (json) endJsonMode();
  }
}
