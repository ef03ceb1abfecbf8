// gelu_backward: dx = dy * d/dx gelu(x) for GPT-2's tanh approximation:
// 0.5 (1 + th) + 0.5 x (1 - th^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), with
// th = tanh(sqrt(2/pi) (x + 0.044715 x^3)); 1 beyond x > 10, 0 below -10.
struct Params { n: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let v = x[i];
  let th = tanh(0.7978845608 * (v + 0.044715 * v * v * v));
  var d = 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * 0.7978845608 * (1.0 + 0.134145 * v * v);
  if (v > 10.0) { d = 1.0; }
  if (v < -10.0) { d = 0.0; }
  dx[i] = dy[i] * d;
}
