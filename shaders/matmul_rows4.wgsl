// matmul_rows4: matmul.wgsl's product (same bindings, flags, row slices) for
// the register kernel set (SwiftShader, a CPU Vulkan) when C has many rows:
// each invocation computes 4 rows x 4 columns, the columns 64 apart so that
// the 64 invocations of a workgroup read consecutive columns of B, with the
// reduction unrolled by 4 and no workgroup memory (on SwiftShader a barrier is
// a fiber switch). About 3x matmul.wgsl on the trainer's shapes there
// (docs/time-slicing.md). Workgroups: x ceil(n / 256), y ceil(rows / 4).
// Every element is the same fma chain over t = 0..k-1 as in the whole launch,
// whatever the row slice, so slices stay bit-identical to it.
//! include matmul_bindings.wgsl

var<private> aStep: u32;
var<private> bStep: u32;
var<private> ar: vec4u; // where the 4 rows of op(A) start
var<private> bc: vec4u; // where the 4 columns of op(B) start
var<private> acc: array<vec4f, 4>;

/** One step t of the reduction for the 4 x 4 outputs. */
fn mac(t: u32) {
  let o = t * bStep;
  let bv = vec4f(b[bc.x + o], b[bc.y + o], b[bc.z + o], b[bc.w + o]);
  let q = t * aStep;
  acc[0] = fma(vec4f(a[ar.x + q]), bv, acc[0]);
  acc[1] = fma(vec4f(a[ar.y + q]), bv, acc[1]);
  acc[2] = fma(vec4f(a[ar.z + q]), bv, acc[2]);
  acc[3] = fma(vec4f(a[ar.w + q]), bv, acc[3]);
}

@compute @workgroup_size(64, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col0 = wg.x * 256u + lid.x;
  let row0 = wg.y * 4u + p.row0;
  let end = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  if (row0 >= end || col0 >= p.n) { return; }
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  aStep = select(1u, p.m, transA);
  bStep = select(p.n, 1u, transB);
  // Rows and columns past the edge read the last valid one (in bounds); their results are not written.
  let cols = vec4u(col0, min(col0 + 64u, p.n - 1u), min(col0 + 128u, p.n - 1u), min(col0 + 192u, p.n - 1u));
  bc = select(cols, cols * p.k, transB);
  let rows = vec4u(row0, min(row0 + 1u, end - 1u), min(row0 + 2u, end - 1u), min(row0 + 3u, end - 1u));
  ar = select(rows * p.k, rows, transA);
  var t = 0u;
  for (; t + 4u <= p.k; t += 4u) {
    mac(t);
    mac(t + 1u);
    mac(t + 2u);
    mac(t + 3u);
  }
  for (; t < p.k; t++) { mac(t); }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= end) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + 64u * j;
      if (col < p.n) {
        let o = row * p.n + col;
        var v = p.alpha * acc[i][j];
        if (p.beta != 0.0) { v += p.beta * c[o]; }
        c[o] = v;
      }
    }
  }
}
