// Compute pipelines of the WebGPU device, one per kernel name, compiled from
// the embedded WGSL (shaders.gen.ts): at once on first launch, or ahead of it
// (prepare(): asynchronously, so compile time is not measured as run time).
import { deviceError } from '../../core/device.js';
import { DeviceError, InvalidRangeError } from '../../core/errors.js';
import { workgroupSize } from './launch-choice.js';
import { wgslSources } from './shaders.gen.js';

export interface Pipeline {
  pipeline: GPUComputePipeline;
  workgroup: [number, number, number];
  hasParams: boolean;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, Pipeline>();

  /** `onError`: a pipeline made at once failed validation (reported asynchronously; the device throws it at its next submit). */
  constructor(private readonly gpu: GPUDevice, private readonly onError: (e: DeviceError) => void) {}

  /** The kernel's pipeline, compiled now if it was not yet. */
  get(name: string): Pipeline {
    let p = this.pipelines.get(name);
    if (!p) {
      const { module, workgroup, hasParams } = this.module(name);
      this.gpu.pushErrorScope('validation');
      const pipeline = this.gpu.createComputePipeline({ label: name, layout: 'auto', compute: { module, entryPoint: 'main' } });
      void this.gpu.popErrorScope().then((err) => {
        if (err) this.onError(new DeviceError(`createComputePipeline(${name})`, err.message));
      });
      p = { pipeline, workgroup, hasParams };
      this.pipelines.set(name, p);
    }
    return p;
  }

  /** Compiles these kernels asynchronously (those not compiled yet). */
  async prepare(names: readonly string[]): Promise<void> {
    await Promise.all(
      [...new Set(names)].map(async (name) => {
        if (this.pipelines.has(name)) return;
        const { module, workgroup, hasParams } = this.module(name);
        try {
          const pipeline = await this.gpu.createComputePipelineAsync({ label: name, layout: 'auto', compute: { module, entryPoint: 'main' } });
          // A launch may have compiled it meanwhile; its cached bind groups
          // belong to that pipeline's layout, so keep the first one.
          if (!this.pipelines.has(name)) this.pipelines.set(name, { pipeline, workgroup, hasParams });
        } catch (e) {
          throw deviceError(`createComputePipelineAsync(${name})`, e);
        }
      }),
    );
  }

  private module(name: string): { module: GPUShaderModule; workgroup: [number, number, number]; hasParams: boolean } {
    const code = wgslSources[name];
    if (code === undefined) throw new InvalidRangeError(`no WGSL kernel named '${name}' (shaders/${name}.wgsl)`);
    const module = this.gpu.createShaderModule({ label: name, code });
    return { module, workgroup: workgroupSize(code, name), hasParams: /var<uniform>/.test(code) };
  }
}
