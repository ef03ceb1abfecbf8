// softmax_xent_rows: softmax_xent.wgsl's contract (probs = softmax of each row
// of logits [m, c], loss[r] = logsumexp - logit of the label; rows from
// p.row0, so a launch can be cut into row slices) for the register kernel set
// (SwiftShader, a CPU Vulkan) when a row has at most 64 classes: one
// invocation per row, 64 rows a workgroup, no workgroup memory and no
// barriers (on SwiftShader each barrier is a fiber switch: the one-workgroup-
// per-row kernel took milliseconds for the trainer's 128 x 10 logits and could
// not be sliced). Every row is the same loop whatever the slice.
//! include softmax_xent_bindings.wgsl

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = p.row0 + g.x;
  if (r >= p.m) { return; }
  let base = r * p.c;
  var mx = -3.402823e38;
  for (var j = 0u; j < p.c; j++) { mx = max(mx, logits[base + j]); }
  var sum = 0.0;
  for (var j = 0u; j < p.c; j++) { sum += exp(logits[base + j] - mx); }
  for (var j = 0u; j < p.c; j++) { probs[base + j] = exp(logits[base + j] - mx) / sum; }
  let t = min(labels[r], p.c - 1u);
  loss[r] = log(sum) - (logits[base + t] - mx);
}
