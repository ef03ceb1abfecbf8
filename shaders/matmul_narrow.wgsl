// matmul_narrow: matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags
// bit 0: A stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C; row0,
// rows: a time slice of C's rows) for hardware GPUs when C has few columns
// (n <= MAX_COLS: a classifier's output layer, 1024 x 10 x 4096 in the MLP
// trainer, where 64 x 64 tiles leave a handful of workgroups walking a long
// k serially). A workgroup of 256 invocations owns ROWS rows of C (512
// workgroups for 1024 rows: enough warps on every core to hide the loads);
// the LANES invocations of one row split k between them (lane l takes k = l,
// l + LANES, ...: a warp reads A's row and B along k, coalesced where k is
// contiguous) and keep one partial sum per column in four vec4s (no indexed
// private array). B is read for all MAX_COLS columns without a branch (a
// column past n reads column n - 1; its sum is never written), so a lane's
// loads of one k do not wait for one another. The partial sums of a row are
// then added in workgroup memory in a fixed order (16 lanes at a time, then
// the 8 sums), so a row's result does not depend on which rows the launch
// computes: slices are bit-identical to the whole launch.
// Selected by the WebGPU device instead of matmul (src/devices/webgpu/variants.ts).
//! include matmul_bindings.wgsl

/** Columns of C one launch computes at most (variants.ts picks this kernel for n <= MAX_COLS). */
const MAX_COLS = 16u;
const ROWS = 2u;
const LANES = 128u;
/** Lanes one invocation adds in the first round of the reduction (LANES / SEG invocations per output). */
const SEG = 16u;
var<workgroup> part: array<f32, 4096>; // [row * MAX_COLS + column][lane]

/** B at depth k for columns j0..j0+3 (a column past n reads column n - 1). */
fn bRow(k: u32, j0: u32) -> vec4f {
  let t = (p.flags & 2u) != 0u;
  let last = p.n - 1u;
  let j = min(vec4u(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4u(last));
  let i = select(k * p.n + j, j * p.k + k, t);
  return vec4f(b[i.x], b[i.y], b[i.z], b[i.w]);
}

fn keep(out: u32, lane: u32, s: vec4f) {
  part[out * LANES + lane] = s.x;
  part[(out + 1u) * LANES + lane] = s.y;
  part[(out + 2u) * LANES + lane] = s.z;
  part[(out + 3u) * LANES + lane] = s.w;
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
  // Round 1: invocation li adds lanes SEG*(li % 8).. of output li / 8, in lane order.
  let o = li / (LANES / SEG);
  let first = o * LANES + (li % (LANES / SEG)) * SEG;
  var v = part[first];
  for (var l = 1u; l < SEG; l++) { v += part[first + l]; }
  workgroupBarrier();
  part[li] = v;
  workgroupBarrier();
  // Round 2: invocation li < ROWS * MAX_COLS adds the 8 sums of output li, in order.
  if (li >= ROWS * MAX_COLS) { return; }
  let r = p.row0 + wg.x * ROWS + li / MAX_COLS;
  let col = li % MAX_COLS;
  if (r >= end || col >= p.n) { return; }
  var t = part[li * (LANES / SEG)];
  for (var g = 1u; g < LANES / SEG; g++) { t += part[li * (LANES / SEG) + g]; }
  let at = r * p.n + col;
  var y = p.alpha * t;
  if (p.beta != 0.0) { y += p.beta * c[at]; }
  c[at] = y;
}
