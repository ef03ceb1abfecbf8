// fill_vec4: fill.wgsl's contract (y[i] = the bit pattern value, n words) four words an
// invocation, for hardware adapters when n is a multiple of 4 (the trainer's zero-fill of
// its gradient accumulator: one 16-byte store each). Selected by the WebGPU device instead
// of fill (src/devices/webgpu/variants.ts).
struct Params { n: u32, value: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4u>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < p.n / 4u) { y[i] = vec4u(p.value); }
}
