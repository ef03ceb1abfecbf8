// The models a server can serve, by name: from --model flags, or from a
// Triton-style repository folder `<repo>/<model>/<version>/model.onnx` with an
// optional `<repo>/<model>/config.json` or `config.pbtxt` (the highest
// numbered version is served). The model repository extension's index, load
// and unload work on this list; a model unloaded through it answers 400 until
// loaded again.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HandoverError } from '../core/errors.js';
import { configPolicy, ModelConfigError, parseConfigJson, parseConfigPbtxt } from './model-config.js';
import type { ModelPolicy } from './model-policy.js';

/** Letters, digits, '_', '.', '-'; not starting with a dot: never a path. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isModelName(name: string): boolean {
  return MODEL_NAME.test(name) && !name.includes('..');
}

export interface RepositoryEntry {
  name: string;
  version: string;
  file: string;
  /** The model's own serving policy (a config file); absent: the server's default. */
  policy?: ModelPolicy;
}

/** A repository folder that cannot be served as given. */
export class RepositoryError extends HandoverError {
  override name = 'RepositoryError';
  constructor(readonly path: string, readonly reason: string) {
    super(`model repository ${path}: ${reason}`);
  }
}

/** Reads a repository folder; models whose folder holds no version with a model.onnx are left out, with a note. */
export function scanRepository(dir: string, base: ModelPolicy, note: (line: string) => void = () => {}): RepositoryEntry[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RepositoryError(dir, 'is not a folder');
  const out: RepositoryEntry[] = [];
  for (const name of readdirSync(dir).sort()) {
    const folder = join(dir, name);
    if (!statSync(folder).isDirectory()) continue;
    if (!isModelName(name)) {
      note(`model repository: skipping '${name}' (a model name holds only letters, digits, '_', '.', '-')`);
      continue;
    }
    const versions = readdirSync(folder).filter((v) => /^\d+$/.test(v) && existsSync(join(folder, v, 'model.onnx'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length === 0) {
      note(`model repository: skipping '${name}' (no <version>/model.onnx inside)`);
      continue;
    }
    out.push({ name, version: versions[0]!, file: join(folder, versions[0]!, 'model.onnx'), policy: readPolicy(folder, base) });
  }
  return out;
}

function readPolicy(folder: string, base: ModelPolicy): ModelPolicy | undefined {
  for (const [file, parse] of [['config.json', parseConfigJson], ['config.pbtxt', parseConfigPbtxt]] as const) {
    const path = join(folder, file);
    if (!existsSync(path)) continue;
    try {
      return configPolicy(parse(readFileSync(path, 'utf8'), path), base, path);
    } catch (e) {
      if (e instanceof ModelConfigError) throw new RepositoryError(folder, e.message);
      throw e;
    }
  }
  return undefined;
}
