// Probe: what the `webgpu` package's Dawn offers on this machine's adapter: its info, the
// limits the tiled kernels care about, and its features, once as a web page would see them
// and once with Dawn's allow_unsafe_apis toggle (the experimental features, e.g.
// chromium-experimental-subgroup-matrix = cooperative matrices / tensor cores, are
// guarded by it), with the subgroup matrix configurations where the adapter reports them.
// Needs no build. Prints one JSON object.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const base = ['disable-dawn-features=timestamp_quantization'];
const out = {};
for (const [name, flags] of [['default', base], ['allow_unsafe_apis', [...base, 'enable-dawn-features=allow_unsafe_apis']]]) {
  const gpu = create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    out[name] = null;
    continue;
  }
  const info = adapter.info ?? {};
  const l = adapter.limits;
  out[name] = {
    info: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize },
    features: [...adapter.features].sort(),
    limits: { maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize },
    subgroupMatrixConfigs: info.subgroupMatrixConfigs ? [...info.subgroupMatrixConfigs].map((c) => ({ ...c, componentType: c.componentType, resultComponentType: c.resultComponentType, M: c.M, N: c.N, K: c.K })) : undefined,
  };
}
console.log(JSON.stringify(out, null, 1));
process.exit(0);
