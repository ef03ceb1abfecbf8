// sgd_momentum, as torch.optim.SGD (dampening 0, not Nesterov):
//   g = grad + wd * w;  v = mu * v + g (v = g on the first step);  w -= lr * v.
struct Params { n: u32, first: u32, lr: f32, mu: f32, wd: f32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> vel: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let g = grad[i] + p.wd * w[i];
  var v = g;
  if (p.first == 0u) { v = p.mu * vel[i] + g; }
  vel[i] = v;
  w[i] = w[i] - p.lr * v;
}
