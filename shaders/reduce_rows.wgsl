// reduce_rows: out[j] = beta * out[j] + alpha * sum_r x[r, j] over an [m, n] x
// (the bias gradient is the sum over the batch; beta = 1 accumulates).
struct Params { m: u32, n: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> part: array<f32, 256>;

// 64 columns x 4 row-lanes per workgroup; each lane sums every 4th row.
@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let j = wg.x * 64u + l.x;
  var s = 0.0;
  if (j < p.n) {
    for (var r = l.y; r < p.m; r += 4u) { s += x[r * p.n + j]; }
  }
  part[l.y * 64u + l.x] = s;
  workgroupBarrier();
  if (l.y == 0u && j < p.n) {
    let total = part[l.x] + part[64u + l.x] + part[128u + l.x] + part[192u + l.x];
    var v = p.alpha * total;
    if (p.beta != 0.0) { v += p.beta * out[j]; }
    out[j] = v;
  }
}
