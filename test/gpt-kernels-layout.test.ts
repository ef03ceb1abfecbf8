// Each GPT training kernel (docs/gpt-kernels.md) exists in WGSL and in the CUDA
// addon with the same storage bindings and the same Params bytes (no GPU
// needed; the CUDA part needs the built addon).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { wgslSources } from '../src/devices/webgpu/shaders.gen.js';

const GPT_KERNELS = ['embedding_forward', 'embedding_backward_wte', 'embedding_backward_wpe', 'layernorm_forward',
  'layernorm_backward', 'layernorm_backward_params', 'gelu_forward', 'gelu_backward', 'cross_entropy_forward',
  'cross_entropy_backward', 'sum_scaled', 'grad_sumsq', 'grad_clip_scale', 'grad_scale', 'adamw',
  'attention_forward', 'attention_backward_dq', 'attention_backward_dkv'];

/** Storage bindings and Params bytes (scalar fields only, as the GPT kernels use; 16-byte rounded) of a WGSL kernel. */
function wgslShape(name: string): { bindings: number; paramBytes: number } {
  const src = wgslSources[name];
  if (!src) throw new Error(`no shaders/${name}.wgsl`);
  const fields = /struct Params \{([^}]*)\}/.exec(src)![1]!.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of fields) expect(f, `${name}: Params field`).toMatch(/^\w+: [uif]32$/);
  return { bindings: (src.match(/var<storage/g) ?? []).length, paramBytes: Math.ceil((fields.length * 4) / 16) * 16 };
}

describe('GPT kernels in WGSL', () => {
  it('every GPT kernel has a WGSL shader with scalar Params', () => {
    for (const name of GPT_KERNELS) expect(wgslShape(name).bindings, name).toBeGreaterThan(0);
  });
});

const addonPath = 'native-cuda/build/handover_cuda.node';
describe.skipIf(!existsSync(addonPath))(`GPT kernels in CUDA${existsSync(addonPath) ? '' : ' (skipped: addon not built; npm run build:cuda)'}`, () => {
  it('every GPT kernel is in the CUDA table with the WGSL bindings and Params size', () => {
    const addon = createRequire(import.meta.url)(`../${addonPath}`) as { kernels(): { name: string; bindings: number; paramBytes: number }[] };
    const table = new Map(addon.kernels().map((k) => [k.name, k]));
    for (const name of GPT_KERNELS) {
      const k = table.get(name);
      expect(k, `${name} is missing from the CUDA kernel table`).toBeDefined();
      expect({ bindings: k!.bindings, paramBytes: k!.paramBytes }, name).toEqual(wgslShape(name));
    }
  });
});
