// Reads a model file in Node without importing a Node module, so the engine's
// modules stay loadable in a browser (browser code never imports node:*; the
// test browser-imports.test.ts checks it). In a browser, register the bytes.
import { ModelError } from '../onnx/errors.js';

type ReadFile = (path: string) => Uint8Array;

function nodeReadFile(): ReadFile | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync: ReadFile } | undefined;
  return fs ? (p) => fs.readFileSync(p) : null;
}

/** The file's bytes; a ModelError naming the file when it cannot be read (missing, a folder, no permission). */
export function readModelFile(path: string): Uint8Array {
  const read = nodeReadFile();
  if (!read) throw new ModelError('', '', `cannot read model file ${path} here: files are read only in Node 20.16 or later (in a browser, pass the bytes to registerBytes)`);
  try {
    return read(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : e instanceof Error ? e.message : String(e);
    throw new ModelError('', '', `cannot read model file ${path}: ${why}`);
  }
}
