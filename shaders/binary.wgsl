// binary: y = a (op) b on f32: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 min, 6 max.
// bInt != 0: b holds i32 (Pow with an integer exponent).
//! include binary_operands.wgsl

fn powf(x: f32, e: f32) -> f32 {
  if (e == 2.0) { return x * x; }
  if (e == 1.0) { return x; }
  if (e == 0.0) { return 1.0; }
  if (e == 3.0) { return x * x * x; }
  if (e == 0.5) { return sqrt(x); }
  if (x < 0.0 && e == round(e)) {
    let m = pow(-x, e);
    return select(m, -m, (i32(e) & 1) != 0);
  }
  return pow(x, e);
}

fn f(x: f32, z: f32) -> f32 {
  switch (p.op) {
    case 0u: { return x + z; }
    case 1u: { return x - z; }
    case 2u: { return x * z; }
    case 3u: { return x / z; }
    case 4u: { return powf(x, z); }
    case 5u: { return min(x, z); }
    default: { return max(x, z); }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = element(gid, nwg);
  if (i >= p.n) { return; }
  let o = operands(i);
  let ia = o.x;
  let ib = o.y;
  let z = select(bitcast<f32>(b[ib]), f32(bitcast<i32>(b[ib])), p.bInt != 0u);
  y[i] = bitcast<u32>(f(bitcast<f32>(a[ia]), z));
}
