// layernorm_backward: dx = rstd (g - mean(g) - xhat mean(g xhat)) per row,
// g = dy * gamma, xhat = (x - mean) rstd (mean and rstd saved by forward).
// accumulate != 0 adds into dx (the residual stream's gradient). One
// 64-invocation workgroup per row.
struct Params { n: u32, c: u32, accumulate: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> gamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

var<workgroup> red: array<vec2f, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.n) { return; }
  let l = lid.x;
  let base = r * p.c;
  let mu = mean[r];
  let rs = rstd[r];
  var acc = vec2f(0.0);
  for (var j = l; j < p.c; j += 64u) {
    let g = dy[base + j] * gamma[j];
    acc += vec2f(g, g * (x[base + j] - mu) * rs);
  }
  red[l] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] += red[l + s]; }
    workgroupBarrier();
  }
  let m = red[0] / f32(p.c);
  for (var j = l; j < p.c; j += 64u) {
    let xhat = (x[base + j] - mu) * rs;
    var v = rs * (dy[base + j] * gamma[j] - m.x - xhat * m.y);
    if (p.accumulate != 0u) { v += dx[base + j]; }
    dx[base + j] = v;
  }
}
