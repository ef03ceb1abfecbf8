// binary_int: y = a (op) b on i32 (int32, and int64 held as i32): 0 add,
// 1 sub, 2 mul, 3 div (truncating; 0 for a zero divisor), 4 pow (exponent
// >= 0 by squaring; a negative one gives 1/x^e truncated), 5 min, 6 max.
//! include binary_operands.wgsl

fn ipow(x: i32, e: i32) -> i32 {
  if (e < 0) { return select(0, select(1, select(1, -1, (e & 1) != 0), x == -1), x == 1 || x == -1); }
  var r = 1;
  var b = x;
  var k = e;
  loop {
    if (k == 0) { break; }
    if ((k & 1) != 0) { r *= b; }
    b *= b;
    k = k >> 1u;
  }
  return r;
}

fn f(x: i32, z: i32) -> i32 {
  switch (p.op) {
    case 0u: { return x + z; }
    case 1u: { return x - z; }
    case 2u: { return x * z; }
    case 3u: { return select(x / z, 0, z == 0); }
    case 4u: { return ipow(x, z); }
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
  y[i] = bitcast<u32>(f(bitcast<i32>(a[ia]), bitcast<i32>(b[ib])));
}
