// softmax_xent: for each row r of logits [m, c] with label t = labels[r]:
//   probs[r, :] = softmax(logits[r, :]);  loss[r] = logsumexp(logits[r, :]) - logits[r, t].
// One workgroup per row, rows from p.row0 (a launch can be cut into row slices).
//! include softmax_xent_bindings.wgsl

var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = p.row0 + wg.x;
  if (r >= p.m) { return; }
  let base = r * p.c;
  var mx = -3.402823e38;
  for (var j = l.x; j < p.c; j += 64u) { mx = max(mx, logits[base + j]); }
  red[l.x] = mx;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (l.x < s) { red[l.x] = max(red[l.x], red[l.x + s]); }
    workgroupBarrier();
  }
  mx = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var j = l.x; j < p.c; j += 64u) { sum += exp(logits[base + j] - mx); }
  red[l.x] = sum;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (l.x < s) { red[l.x] += red[l.x + s]; }
    workgroupBarrier();
  }
  sum = red[0];
  for (var j = l.x; j < p.c; j += 64u) { probs[base + j] = exp(logits[base + j] - mx) / sum; }
  if (l.x == 0u) {
    let t = min(labels[r], p.c - 1u);
    loss[r] = log(sum) - (logits[base + t] - mx);
  }
}
