// attention_backward_dkv: for key row s of head h (layouts as attention_forward),
// after attention_backward_dq wrote delta:
//   dv_s = sum_{t >= s} P_ts dy_t;  dk_s = scale * sum_{t >= s} P_ts (dy_t . v_s - delta[t]) q_t.
// Writes the k and v columns of dqkv [B, T, 3C]. One invocation per (s, b * H + h).
//! include attention_rows.wgsl
@group(0) @binding(1) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> delta: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let s = gid.x;
  let bh = gid.y;
  if (s >= p.t || bh >= p.b * p.h) { return; }
  let c = p.h * p.d;
  let kOff = qkvRow(bh, s) + c;
  var k: array<f32, 128>;
  var v: array<f32, 128>;
  var dk: array<f32, 128>;
  var dv: array<f32, 128>;
  for (var i = 0u; i < p.d; i++) {
    k[i] = qkv[kOff + i];
    v[i] = qkv[kOff + c + i];
    dk[i] = 0.0;
    dv[i] = 0.0;
  }
  for (var t = s; t < p.t; t++) {
    let qOff = qkvRow(bh, t);
    let yOff = headRow(bh, t);
    var dot = 0.0;
    var dp = 0.0;
    for (var i = 0u; i < p.d; i++) {
      dot += (qkv[qOff + i] * p.scale) * k[i];
      dp += dy[yOff + i] * v[i];
    }
    let pr = exp(dot - lse[bh * p.t + t]);
    let ds = pr * (dp - delta[bh * p.t + t]);
    for (var i = 0u; i < p.d; i++) {
      dv[i] += pr * dy[yOff + i];
      dk[i] += ds * qkv[qOff + i];
    }
  }
  for (var i = 0u; i < p.d; i++) {
    dqkv[kOff + i] = dk[i] * p.scale;
    dqkv[kOff + c + i] = dv[i];
  }
}
