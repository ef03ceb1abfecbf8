// The public API: the product, not its parts. A program colocates its own
// models with training through the system builder; the trainer, the model
// store, the devices and the typed errors are here for programs that need
// them. The kernels and the core's bookkeeping stay internal.

// The colocation system: one spec, one builder, one request path.
export * from './system/index.js';
export { SYSTEM_NAMES, type SystemName, type Tuned } from './sched/systems.js';
export type { Admission, AdmitPath } from './sched/core.js';
export { EventLog, type SchedEvent, type SchedEventKind } from './sched/events.js';

// Training: the elastic trainer, its configuration and data sets.
export { Trainer } from './train/trainer.js';
export type { TrainConfig, TrainerStats, HandoverReport } from './train/trainer.js';
export type { Dataset, Split } from './train/data.js';
export { loadDataset, loadDigits, loadFashionMnist } from './train/data-node.js';
export { TrainingJob, type TrainingSample } from './colocate/training-job.js';

// Inference: the model store and its tensor types; LLM generation requests.
export { ModelStore, type ModelInfo, type IoSpec, type TensorData, type TensorType } from './infer/store.js';
export type { BatchRequest, BatchResult } from './llm/batcher.js';

// Devices and their memory.
export * from './core/device.js';
export { Arena, type ArenaOptions } from './core/arena.js';
export { Gate } from './core/gate.js';
export { WebGpuDevice } from './devices/webgpu/device.js';
export { CudaDevice } from './devices/cuda/device.js';

// Typed errors.
export * from './core/errors.js';
export { ColdModelError, DuplicateModelError, UnknownModelError } from './infer/errors.js';
export { InputError, ModelError } from './onnx/errors.js';
export { InferenceMemoryError, SchedParameterError, UnknownSchedModelError } from './sched/errors.js';
export { BlocksExhaustedError, GenerateInputError, SequenceError } from './llm/errors.js';
export { CudaError, CudaUnavailableError } from './devices/cuda/errors.js';
