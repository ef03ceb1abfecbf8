// cross_entropy_forward: per row r of logits [N, V] with target t = targets[r]:
//   lse[r] = logsumexp(logits[r, :]);  loss[r] = lse[r] - logits[r, t].
// t = 0xffffffff is no target (padding): loss 0. t >= V otherwise: NaN. A NaN
// or +inf logit makes its row's loss NaN. One 256-invocation workgroup per row,
// one pass: each lane keeps a running (max, sum of exp), the lanes combine in a tree.
struct Params { n: u32, v: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;

//! include float_bits.wgsl

var<workgroup> red: array<vec2f, 256>;
var<workgroup> bad: array<u32, 256>;

fn combine(a: vec2f, b: vec2f) -> vec2f {
  let m = max(a.x, b.x);
  return vec2f(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.n) { return; }
  let l = lid.x;
  let base = r * p.v;
  var acc = vec2f(-3.402823e38, 0.0);
  var b = 0u;
  for (var j = l; j < p.v; j += 256u) {
    let x = logits[base + j];
    if (isNanOrPosInf(x)) { b = 1u; } else { acc = combine(acc, vec2f(x, 1.0)); }
  }
  red[l] = acc;
  bad[l] = b;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (l < s) {
      red[l] = combine(red[l], red[l + s]);
      bad[l] |= bad[l + s];
    }
    workgroupBarrier();
  }
  if (l == 0u) {
    let total = red[0];
    var z = total.x + log(total.y);
    if (bad[0] != 0u) { z = runtimeNan(r); }
    lse[r] = z;
    let t = targets[r];
    var out = 0.0;
    if (t != 0xffffffffu) {
      out = z - logits[base + min(t, p.v - 1u)];
      if (t >= p.v || bad[0] != 0u) { out = runtimeNan(t); }
    }
    loss[r] = out;
  }
}
