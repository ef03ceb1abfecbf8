// matmul_skinny: matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags
// bit 0: A stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C; row0,
// rows: a time slice of C's rows) for hardware GPUs when C has few rows (m <= 8:
// a classifier's Gemm at batch 1..8, where the 128 x 128 tiles of matmul_tiled
// leave all but a handful of the GPU's cores idle and walk k serially).
// A workgroup of 256 invocations owns COLS columns of C; the LANES invocations
// of one column split k between them (lane l takes k = l, l + LANES, ...), so
// one warp reads B along its storage order (coalesced in either layout), and
// each invocation keeps one partial sum per row of C. The partial sums are
// then added in workgroup memory in a fixed tree, so a row's result does not
// depend on which other rows the launch computes: slices are bit-identical
// to the whole launch.
// Selected by the WebGPU device instead of matmul (src/devices/webgpu/variants.ts).
//! include matmul_bindings.wgsl

/** Rows of C one launch computes at most (variants.ts picks this kernel for m <= MAX_ROWS). */
const MAX_ROWS = 8u;
var<workgroup> part: array<f32, 2048>; // [row][invocation]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  // B stored [n,k]: 8 columns x 32 lanes along k (a warp reads 32 neighbouring k of one row);
  // B stored [k,n]: 32 columns x 8 lanes (a warp reads 32 neighbouring columns of one k).
  let cols = select(32u, 8u, transB);
  let lanes = 256u / cols;
  let col = select(li % 32u, li / 32u, transB);
  let lane = select(li / 32u, li % 32u, transB);
  let j = (wg.x + wg.y * nwg.x) * cols + col;
  let row0 = p.row0;
  let end = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  let rows = min(end - min(row0, end), MAX_ROWS);
  var acc: array<f32, 8>;
  if (j < p.n) {
    for (var t = lane; t < p.k; t += lanes) {
      let bv = b[select(t * p.n + j, j * p.k + t, transB)];
      for (var i = 0u; i < rows; i++) {
        let r = row0 + i;
        acc[i] = fma(a[select(r * p.k + t, t * p.m + r, transA)], bv, acc[i]);
      }
    }
  }
  for (var i = 0u; i < MAX_ROWS; i++) { part[i * 256u + li] = acc[i]; }
  workgroupBarrier();
  // Tree over the lanes of each column: lane l adds lane l + s, halving s.
  for (var s = lanes / 2u; s > 0u; s /= 2u) {
    if (lane < s) {
      let other = select(li + s * 32u, li + s, transB);
      for (var i = 0u; i < MAX_ROWS; i++) { part[i * 256u + li] += part[i * 256u + other]; }
    }
    workgroupBarrier();
  }
  if (lane == 0u && j < p.n) {
    for (var i = 0u; i < rows; i++) {
      let o = (row0 + i) * p.n + j;
      var v = p.alpha * part[i * 256u + li];
      if (p.beta != 0.0) { v += p.beta * c[o]; }
      c[o] = v;
    }
  }
}
