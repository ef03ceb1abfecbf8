// binary: y = a (op) b on f32: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 min, 6 max.
// bInt != 0: b holds i32 (Pow with an integer exponent).
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
  let z = select(bitcast<f32>(b[ib]), f32(bitcast<i32>(b[ib])), p.bInt != 0u);
  y[i] = bitcast<u32>(f(bitcast<f32>(a[ia]), z));
}
