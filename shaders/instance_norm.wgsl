// instance_norm: per (n, c) plane of x [N, C, spatial], normalise to zero mean
// and unit variance, then y = xhat * scale[c] + bias[c]. One plane per invocation.
struct Params { planes: u32, c: u32, spatial: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let pl = gid.x + gid.y * nwg.x * 64u;
  if (pl >= p.planes) { return; }
  let c = pl % p.c;
  let base = pl * p.spatial;
  var s = 0.0;
  for (var j = 0u; j < p.spatial; j++) { s += x[base + j]; }
  let mean = s / f32(p.spatial);
  var v = 0.0;
  for (var j = 0u; j < p.spatial; j++) { let d = x[base + j] - mean; v += d * d; }
  let k = scale[c] / sqrt(v / f32(p.spatial) + p.eps);
  for (var j = 0u; j < p.spatial; j++) { y[base + j] = (x[base + j] - mean) * k + bias[c]; }
}
