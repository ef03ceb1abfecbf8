// matmul: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C.
// flags bit 0: A is stored transposed ([k,m]); bit 1: B is stored transposed ([n,k]).
// Four outputs of one row per invocation and no workgroup memory: on SwiftShader (a CPU
// Vulkan) every workgroupBarrier is a fiber switch and a shared-memory tiled
// kernel ran 10x slower than this one; caches do the reuse.
// beta == 0 never reads C, so an unwritten (poisoned) C cannot leak through.
// row0, rows: this launch computes rows [row0, row0 + rows) of C only (a time
// slice of the whole product; rows 0: to the end); every element is the same
// computation in the same order as in the whole launch, so slices are
// bit-identical to it.
//! include matmul_bindings.wgsl

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 4u;
  let row = gid.y + p.row0;
  let end = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  if (row >= end || col0 >= p.n) { return; }
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  let aBase = select(row * p.k, row, transA);
  let aStep = select(1u, p.m, transA);
  let bStep = select(p.n, 1u, transB);
  let c1 = min(col0 + 1u, p.n - 1u);
  let c2 = min(col0 + 2u, p.n - 1u);
  let c3 = min(col0 + 3u, p.n - 1u);
  let b0 = select(col0, col0 * p.k, transB);
  let b1 = select(c1, c1 * p.k, transB);
  let b2 = select(c2, c2 * p.k, transB);
  let b3 = select(c3, c3 * p.k, transB);
  var acc = vec4f(0.0);
  for (var t = 0u; t < p.k; t++) {
    let av = a[aBase + t * aStep];
    let o = t * bStep;
    acc = fma(vec4f(av), vec4f(b[b0 + o], b[b1 + o], b[b2 + o], b[b3 + o]), acc);
  }
  for (var j = 0u; j < 4u; j++) {
    let col = col0 + j;
    if (col < p.n) {
      let o = row * p.n + col;
      var v = p.alpha * acc[j];
      if (p.beta != 0.0) { v += p.beta * c[o]; }
      c[o] = v;
    }
  }
}
