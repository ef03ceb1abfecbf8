// conv2d_splitk_sum: the second half of conv2d_splitk64 / conv2d_splitk32.
// Y = clamp(sum of the S slices' partial sums in slice order + bias, lo, hi)
// (S = partial's length / total): the same order for every element, so a
// launch's result does not depend on how its workgroups were scheduled.
// One output per invocation (1-D; the device folds x beyond its limit into y).
//! include conv_params.wgsl
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  let slices = arrayLength(&partial) / p.total;
  var v = partial[i];
  for (var s = 1u; s < slices; s++) { v += partial[s * p.total + i]; }
  if (p.hasBias != 0u) { v += bias[(i / (p.oh * p.ow)) % p.cout]; }
  y[i] = clamp(v, p.lo, p.hi);
}
