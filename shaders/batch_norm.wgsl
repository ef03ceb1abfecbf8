// batch_norm (inference): y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c]
// for x [N, C, spatial...], spatial = product of the trailing dims.
struct Params { n: u32, c: u32, spatial: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> vari: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let c = (i / p.spatial) % p.c;
  y[i] = (x[i] - mean[c]) / sqrt(vari[c] + p.eps) * scale[c] + bias[c];
}
