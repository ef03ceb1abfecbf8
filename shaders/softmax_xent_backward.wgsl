// softmax_xent_backward: dlogits[r, j] = scale * (probs[r, j] - (j == labels[r])).
// scale is 1 / effective batch, so micro-batch gradients add up to the batch mean.
struct Params { m: u32, c: u32, scale: f32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> probs: array<f32>;
@group(0) @binding(2) var<storage, read_write> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.m * p.c) { return; }
  let r = i / p.c;
  let j = i % p.c;
  dlogits[i] = p.scale * (probs[i] - select(0.0, 1.0, labels[r] == j));
}
