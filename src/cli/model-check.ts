// A model file named on the command line is read and parsed before any device
// opens, so a missing, unreadable or malformed file is a one-line user error
// (exit 2) and never costs a device start.
import type { OnnxGraph } from '../onnx/graph.js';
import { parseModel } from '../onnx/loader.js';
import { readModelFile } from '../infer/model-file.js';
import { readableFile } from './args.js';

/** The parsed graph of `path`; `what` names the flag in the error ("--model", "--model-file"). */
export function checkModelFile(path: string, what: string): OnnxGraph {
  readableFile(path, what);
  return parseModel(readModelFile(path), path);
}
