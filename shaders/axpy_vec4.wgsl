// axpy_vec4: axpy.wgsl's contract (y[i] = y[i] + alpha * x[i] over n elements) four
// elements an invocation, for hardware adapters when n is a multiple of 4 (the trainer's
// commit of a micro-batch gradient into the accumulator: one 16-byte load of each operand
// and one store, a quarter of the invocations and of the bounds clamps). Each element is
// computed by the same expression as axpy.wgsl. Selected by the WebGPU device instead of
// axpy (src/devices/webgpu/variants.ts).
struct Params { n: u32, alpha: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < p.n / 4u) { y[i] = y[i] + p.alpha * x[i]; }
}
