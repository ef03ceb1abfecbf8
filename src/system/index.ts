// The colocation system: one spec, one builder, one request path.
export { POLICY_DEFAULTS, type GenerationSpec, type ModelSpec, type PolicySpec, type SystemSpec, type TrainingSpec } from './spec.js';
export { buildSystem } from './build.js';
export { ColocationSystem, type InferResult } from './system.js';
export { SystemStore, systemGenerative } from './servable.js';
export { mlpTraining, modelTraining, sgdConfig, staticBytesOf } from './training.js';
export { DecisionLog, type Decision, type DecisionKind } from './decisions.js';
export { SystemSizeError, SystemSpecError, TrainingStartError } from './errors.js';
export { GENERATION_MODEL } from './generation.js';
