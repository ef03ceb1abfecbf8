// attention_forward: causal multi-head self-attention, flash-style (no [T, T]
// matrix): qkv [B, T, 3C] holds q | k | v per row, head h at columns h*D ..
// (h+1)*D of each; y [B, T, C] gets the heads side by side; lse [B, H, T] saves
// the logsumexp of each query row's scaled scores for backward. One invocation
// per (query row t, b * H + h) runs an online softmax over keys 0 ..= t.
// Scores are (q * scale) . k, the order the backward kernels recompute.
//! include attention_rows.wgsl
@group(0) @binding(1) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let bh = gid.y;
  if (t >= p.t || bh >= p.b * p.h) { return; }
  let c = p.h * p.d;
  let qOff = qkvRow(bh, t);
  var q: array<f32, 128>;
  var acc: array<f32, 128>;
  for (var i = 0u; i < p.d; i++) {
    q[i] = qkv[qOff + i] * p.scale;
    acc[i] = 0.0;
  }
  var m = -3.402823e38;
  var l = 0.0;
  for (var s = 0u; s <= t; s++) {
    let kOff = qkvRow(bh, s) + c;
    var dot = 0.0;
    for (var i = 0u; i < p.d; i++) { dot += q[i] * qkv[kOff + i]; }
    let mNew = max(m, dot);
    let corr = exp(m - mNew);
    let e = exp(dot - mNew);
    l = l * corr + e;
    for (var i = 0u; i < p.d; i++) { acc[i] = acc[i] * corr + e * qkv[kOff + c + i]; }
    m = mNew;
  }
  let yOff = headRow(bh, t);
  for (var i = 0u; i < p.d; i++) { y[yOff + i] = acc[i] / l; }
  lse[bh * p.t + t] = m + log(l);
}
