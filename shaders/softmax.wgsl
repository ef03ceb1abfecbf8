// softmax: along one axis of x viewed as [outer, len, inner], one row per
// invocation (rows = outer * inner). log != 0 gives LogSoftmax.
struct Params { rows: u32, len: u32, inner: u32, log: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 256u;
  if (r >= p.rows) { return; }
  let base = (r / p.inner) * p.len * p.inner + r % p.inner;
  var m = -3.4028234663852886e38;
  for (var j = 0u; j < p.len; j++) { m = max(m, x[base + j * p.inner]); }
  var s = 0.0;
  for (var j = 0u; j < p.len; j++) { s += exp(x[base + j * p.inner] - m); }
  if (p.log != 0u) {
    let ls = log(s);
    for (var j = 0u; j < p.len; j++) { y[base + j * p.inner] = x[base + j * p.inner] - m - ls; }
  } else {
    let inv = 1.0 / s;
    for (var j = 0u; j < p.len; j++) { y[base + j * p.inner] = exp(x[base + j * p.inner] - m) * inv; }
  }
}
