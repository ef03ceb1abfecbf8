// softmax_xent: for each row r of logits [m, c] with label t = labels[r]:
//   probs[r, :] = softmax(logits[r, :]);  loss[r] = logsumexp(logits[r, :]) - logits[r, t].
// One workgroup per row.
struct Params { m: u32, c: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;

var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let r = wg.x;
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
