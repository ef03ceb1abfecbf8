// attention_backward_dq: for query row t of head h (layouts as attention_forward):
//   delta[t] = dy_t . y_t;  P_ts = exp((q_t * scale) . k_s - lse[t]);  dP_ts = dy_t . v_s;
//   dq_t = scale * sum_{s <= t} P_ts (dP_ts - delta[t]) k_s.
// Writes the q columns of dqkv [B, T, 3C] and delta [B, H, T] (for
// attention_backward_dkv). One invocation per (t, b * H + h).
//! include attention_rows.wgsl
@group(0) @binding(1) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(6) var<storage, read_write> delta: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let bh = gid.y;
  if (t >= p.t || bh >= p.b * p.h) { return; }
  let c = p.h * p.d;
  let qOff = qkvRow(bh, t);
  let yOff = headRow(bh, t);
  var q: array<f32, 128>;
  var g: array<f32, 128>;
  var dq: array<f32, 128>;
  var dl = 0.0;
  for (var i = 0u; i < p.d; i++) {
    q[i] = qkv[qOff + i] * p.scale;
    g[i] = dy[yOff + i];
    dq[i] = 0.0;
    dl += g[i] * y[yOff + i];
  }
  let z = lse[bh * p.t + t];
  for (var s = 0u; s <= t; s++) {
    let kOff = qkvRow(bh, s) + c;
    var dot = 0.0;
    var dp = 0.0;
    for (var i = 0u; i < p.d; i++) {
      dot += q[i] * qkv[kOff + i];
      dp += g[i] * qkv[kOff + c + i];
    }
    let ds = exp(dot - z) * (dp - dl);
    for (var i = 0u; i < p.d; i++) { dq[i] += ds * qkv[kOff + i]; }
  }
  for (var i = 0u; i < p.d; i++) { dqkv[qOff + i] = dq[i] * p.scale; }
  delta[bh * p.t + t] = dl;
}
