// batched_matmul: C[b] = A[b] B[b] for row-major A [m,k], B [k,n], C [m,n]
// per batch entry. The batch index (z) is decomposed over up to 4 broadcast
// batch dims; sa/sb are the per-dim element strides of A and B (0 where that
// operand is broadcast). A 4 x 8 register block per invocation (4 rows, 8
// columns: 12 loads feed 32 FMAs) and no workgroup memory: on SwiftShader
// every barrier is a fiber switch, and blocking made it 3-4x faster.
//! include batched_matmul_params.wgsl

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 8u;
  let row0 = gid.y * 4u;
  if (row0 >= p.m || col0 >= p.n) { return; }
  var rem = gid.z;
  var offA = 0u;
  var offB = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let k = rem % p.dims[d];
    rem = rem / p.dims[d];
    offA += k * p.sa[d];
    offB += k * p.sb[d];
  }
  // Rows and columns past the edge are clamped (computed twice, never stored).
  let last = p.n - 1u;
  let cl = vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u);
  let ch = vec4u(col0 + 4u, col0 + 5u, col0 + 6u, col0 + 7u);
  let c0 = min(cl, vec4u(last));
  let c1 = min(ch, vec4u(last));
  let r = min(vec4u(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4u(p.m - 1u)) * p.k + vec4u(offA);
  var l0 = vec4f(0.0); var h0 = vec4f(0.0);
  var l1 = vec4f(0.0); var h1 = vec4f(0.0);
  var l2 = vec4f(0.0); var h2 = vec4f(0.0);
  var l3 = vec4f(0.0); var h3 = vec4f(0.0);
  for (var t = 0u; t < p.k; t++) {
    let o = offB + t * p.n;
    let bl = vec4f(b[o + c0.x], b[o + c0.y], b[o + c0.z], b[o + c0.w]);
    let bh = vec4f(b[o + c1.x], b[o + c1.y], b[o + c1.z], b[o + c1.w]);
    let a0 = a[r.x + t];
    let a1 = a[r.y + t];
    let a2 = a[r.z + t];
    let a3 = a[r.w + t];
    l0 = fma(vec4f(a0), bl, l0); h0 = fma(vec4f(a0), bh, h0);
    l1 = fma(vec4f(a1), bl, l1); h1 = fma(vec4f(a1), bh, h1);
    l2 = fma(vec4f(a2), bl, l2); h2 = fma(vec4f(a2), bh, h2);
    l3 = fma(vec4f(a3), bl, l3); h3 = fma(vec4f(a3), bh, h3);
  }
  let lo = array<vec4f, 4>(l0, l1, l2, l3);
  let hi = array<vec4f, 4>(h0, h1, h2, h3);
  let base = gid.z * p.m * p.n;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.m) { break; }
    for (var j = 0u; j < 8u; j++) {
      let col = col0 + j;
      if (col >= p.n) { break; }
      c[base + row * p.n + col] = select(hi[i][j % 4u], lo[i][j % 4u], j < 4u) + bias[col];
    }
  }
}
