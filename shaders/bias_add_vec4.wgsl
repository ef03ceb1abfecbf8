// bias_add_vec4: bias_add.wgsl's contract (y[r, j] += bias[j] for an [m, n] row-major y,
// in place) four columns an invocation, for hardware adapters when n is a multiple of 4
// (the MLP's hidden layers: 16-byte loads of y and bias, one store). Each element is one
// f32 add, as in bias_add.wgsl. Selected by the WebGPU device instead of bias_add
// (src/devices/webgpu/variants.ts).
struct Params { m: u32, n: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> bias: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let n4 = p.n / 4u;
  if (i < p.m * n4) { y[i] += bias[i % n4]; }
}
