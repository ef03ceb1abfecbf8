// compare: bool (0/1) y = a (op) b: 7 equal, 8 less, 9 greater,
// 10 less-or-equal, 11 greater-or-equal on f32 (isInt 0) or i32 (isInt 1);
// 12 and, 13 or, 14 xor on bool.
// Broadcasting: rank 0 is the fast path where each operand's shape is a
// suffix of the output's (same shape, a bias over the last dims, a scalar):
// the operand index is i mod its size. Otherwise the output index is
// decomposed over up to 8 dims and sa/sb are the operands' strides over the
// output shape (0 where broadcast). Values travel as u32 bit patterns.
struct Params { n: u32, op: u32, isInt: u32, rank: u32, dims: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2>, na: u32, nb: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<u32>;
@group(0) @binding(2) var<storage, read_write> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

// Each relation is asked of the hardware, not derived from the others: with a
// NaN operand every one of lt, eq, gt is false, and so is every result (ONNX).
fn cmp(lt: bool, eq: bool, gt: bool) -> bool {
  switch (p.op) {
    case 7u: { return eq; }
    case 8u: { return lt; }
    case 9u: { return gt; }
    case 10u: { return lt || eq; }
    default: { return gt || eq; }
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
  let u = a[ia];
  let v = b[ib];
  var r: bool;
  if (p.op >= 12u) {
    let l = u != 0u;
    let m = v != 0u;
    r = select(select(l != m, l || m, p.op == 13u), l && m, p.op == 12u);
  } else if (p.isInt != 0u) {
    let x = bitcast<i32>(u);
    let z = bitcast<i32>(v);
    r = cmp((x < z), (x == z), (x > z));
  } else {
    let x = bitcast<f32>(u);
    let z = bitcast<f32>(v);
    r = cmp((x < z), (x == z), (x > z));
  }
  y[i] = select(0u, 1u, r);
}
