// binary_int: y = a (op) b on i32 (int32, and int64 held as i32): 0 add,
// 1 sub, 2 mul, 3 div (truncating; 0 for a zero divisor), 4 pow (exponent
// >= 0 by squaring; a negative one gives 1/x^e truncated), 5 min, 6 max.
// Broadcasting: rank 0 is the fast path where each operand's shape is a
// suffix of the output's (same shape, a bias over the last dims, a scalar):
// the operand index is i mod its size. Otherwise the output index is
// decomposed over up to 8 dims and sa/sb are the operands' strides over the
// output shape (0 where broadcast). Values travel as u32 bit patterns.
struct Params { n: u32, op: u32, isInt: u32, rank: u32, dims: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2>, na: u32, nb: u32, bInt: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<u32>;
@group(0) @binding(2) var<storage, read_write> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

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
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var ia = i % p.na;
  var ib = i % p.nb;
  if (p.rank > 0u) {
    var rem = i;
    ia = 0u;
    ib = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let q = u32(d) / 4u;
      let r = u32(d) % 4u;
      let dim = p.dims[q][r];
      let k = rem % dim;
      rem = rem / dim;
      ia += k * p.sa[q][r];
      ib += k * p.sb[q][r];
    }
  }
  y[i] = bitcast<u32>(f(bitcast<i32>(a[ia]), bitcast<i32>(b[ib])));
}
