// Shared by binary, binary_int and compare (scripts/embed-shaders.mjs pastes
// it where a kernel says `//! include binary_operands.wgsl`): the Params of a
// two-operand element-wise kernel, its bindings, and the operands' indices.
// Broadcasting: rank 0 is the fast path where each operand's shape is a
// suffix of the output's (same shape, a bias over the last dims, a scalar):
// the operand index is i mod its size. Otherwise the output index is
// decomposed over up to 8 dims and sa/sb are the operands' strides over the
// output shape (0 where broadcast). Values travel as u32 bit patterns.
// bInt is binary's (b holds i32); the others ignore it.
struct Params { n: u32, op: u32, isInt: u32, rank: u32, dims: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2>, na: u32, nb: u32, bInt: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<u32>;
@group(0) @binding(2) var<storage, read_write> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

// The output element of this invocation (x folded with y past 65535 groups).
fn element(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// Indices into a and b of output element i.
fn operands(i: u32) -> vec2u {
  if (p.rank == 0u) { return vec2u(i % p.na, i % p.nb); }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let dim = p.dims[q][r];
    let k = rem % dim;
    rem = rem / dim;
    ia += k * p.sa[q][r];
    ib += k * p.sb[q][r];
  }
  return vec2u(ia, ib);
}
