// layer_norm: y = (x - mean) / sqrt(var + eps) * scale + bias over rows of
// length len (the trailing dims from axis); scale/bias have len entries
// (or 1, broadcast, when scaleLen/biasLen is 1). One row per invocation.
struct Params { rows: u32, len: u32, eps: f32, hasBias: u32, scaleLen: u32, biasLen: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.len;
  var s = 0.0;
  for (var j = 0u; j < p.len; j++) { s += x[base + j]; }
  let mean = s / f32(p.len);
  var v = 0.0;
  for (var j = 0u; j < p.len; j++) { let d = x[base + j] - mean; v += d * d; }
  let inv = 1.0 / sqrt(v / f32(p.len) + p.eps);
  for (var j = 0u; j < p.len; j++) {
    var o = (x[base + j] - mean) * inv * scale[j % p.scaleLen];
    if (p.hasBias != 0u) { o += bias[j % p.biasLen]; }
    y[base + j] = o;
  }
}
