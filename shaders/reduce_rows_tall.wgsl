// reduce_rows_tall: reduce_rows.wgsl's contract (out[j] = beta * out[j] +
// alpha * sum_r x[r, j] over an [m, n] x; the bias gradient is the sum over
// the batch) for hardware GPUs, where reduce_rows' 64 columns a workgroup
// leave 64 workgroups for the trainer's 4096-wide layers, each invocation
// adding 256 rows one after the other. Here a workgroup owns 16 columns and
// 16 row-lanes (lane l adds rows l, l + 16, ...; a warp reads 64 contiguous
// bytes of two rows): 256 workgroups for n = 4096, 64 rows an invocation.
// The lanes' sums are added in lane order, so the result does not depend on
// the grid. Selected by the WebGPU device (src/devices/webgpu/variants.ts).
struct Params { m: u32, n: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const COLS = 16u;
const LANES = 16u;
var<workgroup> part: array<f32, 256>; // [lane][column]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let j = wg.x * COLS + l.x;
  var s = 0.0;
  if (j < p.n) {
    for (var r = l.y; r < p.m; r += LANES) { s += x[r * p.n + j]; }
  }
  part[l.y * COLS + l.x] = s;
  workgroupBarrier();
  if (l.y == 0u && j < p.n) {
    var total = part[l.x];
    for (var t = 1u; t < LANES; t++) { total += part[t * COLS + l.x]; }
    var v = p.alpha * total;
    if (p.beta != 0.0) { v += p.beta * out[j]; }
    out[j] = v;
  }
}
