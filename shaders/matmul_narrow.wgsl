// matmul_narrow: matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags
// bit 0: A stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C; row0,
// rows: a time slice of C's rows) for hardware GPUs when C has few columns
// (n <= MAX_COLS: a classifier's output layer, 1024 x 10 x 4096 in the MLP
// trainer, where 64 x 64 tiles leave a handful of workgroups walking a long
// k serially). A workgroup of 256 invocations owns ROWS rows of C; the LANES
// invocations of one row split k between them (lane l takes k = l, l + LANES,
// ...: a warp reads A's row and B along k, coalesced where k is contiguous)
// and keep one partial sum per column in four vec4s (no indexed private
// array). The partial sums of a row are then added in workgroup memory in a
// fixed order, so a row's result does not depend on which rows the launch
// computes: slices are bit-identical to the whole launch.
// Selected by the WebGPU device instead of matmul (src/devices/webgpu/variants.ts).
//! include matmul_bindings.wgsl

/** Columns of C one launch computes at most (variants.ts picks this kernel for n <= MAX_COLS). */
const MAX_COLS = 16u;
const ROWS = 8u;
const LANES = 32u;
/** One sum per (row, column) of the workgroup, its LANES partials padded to 33 words (no bank conflicts either way). */
const STRIDE = 33u;
var<workgroup> part: array<f32, 4224>; // [row * MAX_COLS + column][lane], stride STRIDE

/** B at depth k for columns j0..j0+3, 0 past n. */
fn bRow(k: u32, j0: u32) -> vec4f {
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let col = j0 + j;
    if (col < p.n) { v[j] = b[select(k * p.n + col, col * p.k + k, (p.flags & 2u) != 0u)]; }
  }
  return v;
}

fn keep(out: u32, lane: u32, s: vec4f) {
  part[out * STRIDE + lane] = s.x;
  part[(out + 1u) * STRIDE + lane] = s.y;
  part[(out + 2u) * STRIDE + lane] = s.z;
  part[(out + 3u) * STRIDE + lane] = s.w;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let end = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  let rl = li / LANES;
  let lane = li % LANES;
  let row = p.row0 + wg.x * ROWS + rl;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  if (row < end) {
    let transA = (p.flags & 1u) != 0u;
    for (var k = lane; k < p.k; k += LANES) {
      let av = vec4f(a[select(row * p.k + k, k * p.m + row, transA)]);
      s0 = fma(av, bRow(k, 0u), s0);
      s1 = fma(av, bRow(k, 4u), s1);
      s2 = fma(av, bRow(k, 8u), s2);
      s3 = fma(av, bRow(k, 12u), s3);
    }
  }
  let out = rl * MAX_COLS;
  keep(out, lane, s0);
  keep(out + 4u, lane, s1);
  keep(out + 8u, lane, s2);
  keep(out + 12u, lane, s3);
  workgroupBarrier();
  // Invocation li < ROWS * MAX_COLS adds the LANES partials of one output, in lane order.
  if (li >= ROWS * MAX_COLS) { return; }
  let r = p.row0 + wg.x * ROWS + li / MAX_COLS;
  let col = li % MAX_COLS;
  if (r >= end || col >= p.n) { return; }
  var v = part[li * STRIDE];
  for (var l = 1u; l < LANES; l++) { v += part[li * STRIDE + l]; }
  let o = r * p.n + col;
  var y = p.alpha * v;
  if (p.beta != 0.0) { y += p.beta * c[o]; }
  c[o] = y;
}
