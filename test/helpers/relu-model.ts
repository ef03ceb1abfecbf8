// The smallest model a CLI test can serve or run: y = Relu(x), x of shape [batch, 3].
import { writeFileSync } from 'node:fs';
import { buildModel } from '../../src/onnx/writer.js';

export function writeReluModel(path: string): string {
  writeFileSync(path, buildModel({
    inputs: [{ name: 'x', type: 'float32', dims: ['batch', 3] }],
    outputs: [{ name: 'y', type: 'float32', dims: ['batch', 3] }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  }));
  return path;
}
