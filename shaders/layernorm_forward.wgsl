// layernorm_forward: y = (x - mean) * rstd * gamma + beta per row of x [N, C],
// rstd = 1 / sqrt(var + eps) with the biased variance (torch's LayerNorm);
// saves mean [N] and rstd [N] for backward. One 64-invocation workgroup per row.
struct Params { n: u32, c: u32, eps: f32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> gamma: array<f32>;
@group(0) @binding(3) var<storage, read_write> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

var<workgroup> red: array<f32, 64>;

fn rowSum(l: u32, v: f32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] += red[l + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.n) { return; }
  let l = lid.x;
  let base = r * p.c;
  var s = 0.0;
  for (var j = l; j < p.c; j += 64u) { s += x[base + j]; }
  let mu = rowSum(l, s) / f32(p.c);
  var q = 0.0;
  for (var j = l; j < p.c; j += 64u) { let d = x[base + j] - mu; q += d * d; }
  let rs = 1.0 / sqrt(rowSum(l, q) / f32(p.c) + p.eps);
  for (var j = l; j < p.c; j += 64u) { y[base + j] = (x[base + j] - mu) * rs * gamma[j] + beta[j]; }
  if (l == 0u) {
    mean[r] = mu;
    rstd[r] = rs;
  }
}
