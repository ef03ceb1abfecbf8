// relu_vec4: relu.wgsl's contract (y[i] = max(x[i], 0), n elements) four elements an
// invocation, for hardware adapters when n is a multiple of 4 (16-byte loads and stores).
// Selected by the WebGPU device instead of relu (src/devices/webgpu/variants.ts).
struct Params { n: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < p.n / 4u) { y[i] = max(x[i], vec4f(0.0)); }
}
