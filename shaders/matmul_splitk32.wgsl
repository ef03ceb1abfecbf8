// matmul_splitk32: the first half of a split-k matmul (matmul.wgsl's contract,
// C = alpha op(A) op(B) + beta C, flags bit 0: A stored [k,m], bit 1: B stored
// [n,k]; rows [row0, row0 + rows) only) for matmuls whose 32 x 32 grid leaves
// a large GPU underoccupied while k is long: the MLP trainer's weight
// gradients of its first and last layers (4096 x 64 and 10 x 4096, k = the
// micro-batch), 0.08-0.09 ms each on matmul_tiled32 on the H200 with 128-256
// workgroups walking k = 1024. Workgroup z = s computes slice s of S (S =
// workgroups along z; slices of whole TILE_K steps) of the reduction for its
// 32 x 32 tile (shaders/include/gemm_tile32.wgsl, the loads of
// matmul_tile_loads.wgsl) and writes the raw sums to partial[s * m * n + index
// in C]; matmul_splitk_sum adds the S slices in order and applies alpha and
// beta. Each element's sum runs over k in the same order wherever its tile
// starts, so row slices are bit-identical to the whole launch. The WebGPU
// device runs both and owns `partial` (variants.ts).
//! include matmul_bindings.wgsl
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
//! include gemm_tile32.wgsl
//! include matmul_tile_loads.wgsl

var<private> row0: u32;
var<private> col0: u32;
var<private> mEnd: u32;
var<private> kLo: u32;

fn loadTiles(li: u32, k0: u32) {
  for (var q = 0u; q < LOADS; q++) {
    let ea = tileElemA(li + q * 256u, row0, mEnd, kLo + k0, TILE, TILE_K);
    putA(ea.k, ea.i, ea.v);
    let eb = tileElemB(li + q * 256u, col0, kLo + k0, TILE, TILE_K);
    putB(eb.k, eb.i, eb.v);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  row0 = p.row0 + wg.y * TILE;
  col0 = wg.x * TILE;
  mEnd = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  let chunk = ((p.k + nwg.z - 1u) / nwg.z + TILE_K - 1u) / TILE_K * TILE_K;
  let lo = min(p.k, wg.z * chunk); // a let: the loop's trip count must be uniform (a private variable is not)
  kLo = lo;
  let acc = gemmTile(min(p.k, lo + chunk) - lo, lid);
  let base = wg.z * p.m * p.n;
  for (var i = 0u; i < PER; i++) {
    let row = row0 + lid.y * PER + i;
    if (row >= mEnd) { break; }
    for (var j = 0u; j < PER; j++) {
      let col = col0 + lid.x * PER + j;
      if (col >= p.n) { break; }
      partial[base + row * p.n + col] = acc[i][j];
    }
  }
}
