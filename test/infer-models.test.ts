// Whole models against onnxruntime-node at batch 1 and 4: relErr =
// ||ours - ort|| / ||ort|| over all outputs must be at most 1e-4.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/core/arena.js';
import { parseModel } from '../src/onnx/loader.js';
import { compare, runOrt } from '../src/infer/ort.js';
import { randomInputs } from '../src/infer/random-inputs.js';
import { ModelStore } from '../src/infer/store.js';
import { rng, testDevice } from './helpers/gpu.js';

const r = rng(Date.now() & 0xffff);
let arena: Arena;
let store: ModelStore;

beforeAll(async () => {
  arena = new Arena(await testDevice(), { bytes: 192 << 20 });
  store = new ModelStore(arena, { poison: true });
});
afterAll(() => arena.destroy());

const MOBILENET = '../shared/models/mobilenet_v2.onnx';
const models: [string, string, boolean][] = [
  ['squeezenet1_1', 'test/fixtures/squeezenet1_1.onnx', true],
  ['tiny_gpt', 'test/fixtures/tiny_gpt.onnx', true],
  ['mobilenet_v2', MOBILENET, existsSync(MOBILENET)],
];

for (const [name, file, present] of models) {
  describe(name, () => {
    if (!present) {
      it.skip(`skipped: ${file} is not present (it is read from ../shared/models when available)`, () => undefined);
      return;
    }
    it('registers cold with its declared inputs and outputs', () => {
      const info = store.register(name, file);
      expect(info.state).toBe('cold');
      expect(info.inputs[0]!.dims[0]).toBeTypeOf('string');
      expect(info.bytes).toBeGreaterThan(1 << 20);
    });
    for (const batch of [1, 4]) {
      it(`batch ${batch}: relErr <= 1e-4 against onnxruntime-node`, async () => {
        const g = parseModel(readFileSync(file), file);
        const inputs = randomInputs(g, () => batch, r);
        const [ours, ref] = [await store.run(name, inputs), await runOrt(file, inputs)];
        const { relErr, maxAbsErr } = compare(ours, ref);
        console.log(`${name} batch ${batch}: relErr ${relErr.toExponential(2)}, maxAbsErr ${maxAbsErr.toExponential(2)}`);
        expect(relErr).toBeLessThanOrEqual(1e-4);
        expect(store.get(name)!.state).toBe('warm');
      });
    }
    it('unload hands every page back', async () => {
      await store.unload(name);
      expect(store.get(name)!.state).toBe('cold');
      expect(arena.stats().infer).toBe(0);
    });
  });
}
