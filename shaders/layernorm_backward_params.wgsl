// layernorm_backward_params: dgamma[j] = sum_r dy[r, j] xhat[r, j] and
// dbeta[j] = sum_r dy[r, j] over the rows of [N, C]; accumulate != 0 adds.
// 64 columns x 4 row lanes per workgroup (as reduce_rows), a fixed order.
struct Params { n: u32, c: u32, accumulate: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;

var<workgroup> part: array<vec2f, 256>;

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let j = wg.x * 64u + l.x;
  var s = vec2f(0.0);
  if (j < p.c) {
    for (var r = l.y; r < p.n; r += 4u) {
      let d = dy[r * p.c + j];
      s += vec2f(d * (x[r * p.c + j] - mean[r]) * rstd[r], d);
    }
  }
  part[l.y * 64u + l.x] = s;
  workgroupBarrier();
  if (l.y == 0u && j < p.c) {
    var t = part[l.x] + part[64u + l.x] + part[128u + l.x] + part[192u + l.x];
    if (p.accumulate != 0u) { t += vec2f(dgamma[j], dbeta[j]); }
    dgamma[j] = t.x;
    dbeta[j] = t.y;
  }
}
