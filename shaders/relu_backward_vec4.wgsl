// relu_backward_vec4: relu_backward.wgsl's contract (dx[i] = dy[i] where the
// pre-activation x[i] > 0, else 0; n elements) four elements an invocation, for hardware
// adapters when n is a multiple of 4 (16-byte loads and stores). Selected by the WebGPU
// device instead of relu_backward (src/devices/webgpu/variants.ts).
struct Params { n: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dy: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < p.n / 4u) { dx[i] = select(vec4f(0.0), dy[i], x[i] > vec4f(0.0)); }
}
