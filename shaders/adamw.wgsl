// adamw, as torch.optim.AdamW (decoupled weight decay), gradient g = grad * clip[1]
// (grad_clip_scale's coefficient; a buffer holding [_, 1] when not clipping):
//   w *= 1 - lr wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   w -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), bc1 = 1 - b1^t, bc2 = 1 - b2^t.
// wd = 0 for the tensors that are not decayed.
struct Params { n: u32, _a: u32, lr: f32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, wd: f32, _b: u32, _c: u32, _d: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m1: array<f32>;
@group(0) @binding(4) var<storage, read_write> m2: array<f32>;
@group(0) @binding(5) var<storage, read_write> clip: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let g = grad[i] * clip[1];
  let m = p.b1 * m1[i] + (1.0 - p.b1) * g;
  let v = p.b2 * m2[i] + (1.0 - p.b2) * g * g;
  m1[i] = m;
  m2[i] = v;
  w[i] = w[i] * (1.0 - p.lr * p.wd) - (p.lr / p.bc1) * m / (sqrt(v) / sqrt(p.bc2) + p.eps);
}
