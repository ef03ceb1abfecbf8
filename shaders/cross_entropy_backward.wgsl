// cross_entropy_backward, in place: logits[r, j] becomes
//   scale * (exp(logits[r, j] - lse[r]) - (j == targets[r]))
// (scale = 1 / target tokens in the effective batch, so micro-batches add up to
// the mean); rows with no target (0xffffffff) become 0. No second [N, V] buffer.
struct Params { n: u32, v: u32, scale: f32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n * p.v) { return; }
  let r = i / p.v;
  let j = i % p.v;
  let t = targets[r];
  var g = 0.0;
  if (t != 0xffffffffu) { g = p.scale * (exp(logits[i] - lse[r]) - select(0.0, 1.0, t == j)); }
  logits[i] = g;
}
