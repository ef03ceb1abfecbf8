// "Verify": the same request through onnxruntime-web, preferring its WebGPU
// execution provider on the page's own GPUDevice, and the largest difference.
import * as ort from 'onnxruntime-web/webgpu';

export interface Verdict {
  provider: string;
  maxAbsDiff: number;
}

export async function verifyWithOrt(file: Uint8Array, input: Float32Array, dims: number[], ours: Float32Array, device: GPUDevice | null): Promise<Verdict> {
  ort.env.wasm.numThreads = 1; // no cross-origin isolation on a plain page
  const tries: { name: string; opts: ort.InferenceSession.SessionOptions }[] = [];
  if (device) tries.push({ name: 'webgpu', opts: { executionProviders: [{ name: 'webgpu', device } as unknown as ort.InferenceSession.ExecutionProviderConfig] } });
  tries.push({ name: 'wasm', opts: { executionProviders: ['wasm'] } });
  let lastError: unknown = null;
  for (const t of tries) {
    try {
      const session = await ort.InferenceSession.create(file, t.opts);
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
      const ref = out[session.outputNames[0]!]!.data as Float32Array;
      let maxAbsDiff = 0;
      for (let i = 0; i < ref.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ref[i]! - ours[i]!));
      await session.release();
      return { provider: t.name, maxAbsDiff };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
