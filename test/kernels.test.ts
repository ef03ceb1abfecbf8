// The kernel conformance suite (test/helpers/kernel-suite.ts) on the WebGPU
// backend: real Dawn, SwiftShader when no GPU is present.
import { kernelSuite } from './helpers/kernel-suite.js';
import { testDevice } from './helpers/gpu.js';

kernelSuite(testDevice);
