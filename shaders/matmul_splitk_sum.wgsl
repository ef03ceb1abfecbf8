// matmul_splitk_sum: the second half of matmul_splitk32. For each element of
// rows [row0, row0 + rows) of C: v = the S slices' partial sums added in slice
// order (S = partial's length / (m * n)), then C = alpha v (+ beta C where
// beta != 0, as matmul.wgsl): the same order for every element, so a launch's
// result does not depend on how its workgroups were scheduled or sliced.
// One output per invocation (1-D; the device folds x beyond its limit into y).
//! include matmul_bindings.wgsl
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let end = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  if (i >= (end - min(p.row0, end)) * p.n) { return; }
  let total = p.m * p.n;
  let o = p.row0 * p.n + i;
  let slices = arrayLength(&partial) / total;
  var v = partial[o];
  for (var s = 1u; s < slices; s++) { v += partial[s * total + o]; }
  v = p.alpha * v;
  if (p.beta != 0.0) { v += p.beta * c[o]; }
  c[o] = v;
}
