#!/usr/bin/env node
// sha256 over an ONNX file's initializers (name, dims, raw little-endian
// values, in file order): equal hashes mean equal weights, whatever else the
// exporter wrote. Used to check that a model re-exported on the GPU machine
// from the export scripts (seeded) is the very network of ../shared/models.
//   node scripts/weights-hash.mjs FILE...     (needs dist/: npm run build)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseModel } from '../dist/src/onnx/loader.js';

for (const file of process.argv.slice(2)) {
  const g = parseModel(new Uint8Array(readFileSync(file)), file);
  const h = createHash('sha256');
  for (const [name, init] of g.initializers) {
    h.update(`${name}:${init.dims.join('x')};`);
    const v = init.value.data;
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  console.log(`${h.digest('hex')}  ${g.initializers.size} initializers  ${file}`);
}
