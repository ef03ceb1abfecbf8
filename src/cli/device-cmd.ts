// `handover device [--json]`: the adapter, its limits, and whether it is SwiftShader.
import { openDevice } from './open-device.js';
import { parseFlags, type FlagSpec } from './args.js';
import { printJson } from './output.js';

export const deviceSpec: FlagSpec = {
  backend: { type: 'string', default: 'webgpu', help: 'webgpu or cuda', choices: ['webgpu', 'cuda'] },
  json: { type: 'boolean', default: false, help: 'stdout: one JSON object {device, backend, ...the adapter}' },
};

export async function deviceCommand(argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, deviceSpec);
  const dev = await openDevice(String(flags.backend), (l) => console.error(l));
  const info = { ...dev.info, how: 'how' in dev ? (dev as { how: string }).how : undefined };
  if (flags.json) printJson(dev, info.backend, info);
  else {
    console.log(`${info.backend}: ${info.name} (${info.vendor}/${info.architecture})${info.software ? ' [software: SwiftShader]' : ''}`);
    console.log(`  found via: ${info.how ?? '-'}`);
    for (const [k, v] of Object.entries(info.limits)) console.log(`  ${k}: ${v}`);
    for (const [k, v] of Object.entries(info.capabilities)) console.log(`  ${k}: ${v}`);
  }
  dev.destroy();
  return 0;
}
