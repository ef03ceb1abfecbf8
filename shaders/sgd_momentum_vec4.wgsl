// sgd_momentum_vec4: sgd_momentum.wgsl's step (torch.optim.SGD, dampening 0, not
// Nesterov: g = grad + wd * w; v = mu * v + g, v = g on the first step; w -= lr * v)
// four parameters an invocation, for hardware adapters when n is a multiple of 4: 16-byte
// loads and stores of w, grad and the velocity. Each element is computed by the same
// expression as sgd_momentum.wgsl. Selected by the WebGPU device instead of sgd_momentum
// (src/devices/webgpu/variants.ts).
struct Params { n: u32, first: u32, lr: f32, mu: f32, wd: f32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> grad: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> vel: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n / 4u) { return; }
  let wi = w[i];
  let g = grad[i] + p.wd * wi;
  var v = g;
  if (p.first == 0u) { v = p.mu * vel[i] + g; }
  vel[i] = v;
  w[i] = wi - p.lr * v;
}
