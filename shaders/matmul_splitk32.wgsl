// matmul_splitk32: the first half of a split-k matmul (matmul.wgsl's contract,
// C = alpha op(A) op(B) + beta C, flags bit 0: A stored [k,m], bit 1: B stored
// [n,k]; rows [row0, row0 + rows) only) for matmuls whose 32 x 32 grid leaves
// a large GPU underoccupied while k is long: the MLP trainer's weight
// gradients of its first and last layers (4096 x 64 and 10 x 4096, k = the
// micro-batch), 0.08-0.09 ms each on matmul_tiled32 on the H200 with 128-256
// workgroups walking k = 1024. Workgroup z = s computes slice s of S (S =
// workgroups along z; slices of whole TILE_K steps) of the reduction for its
// 32 x 32 tile (shaders/include/gemm_tile32.wgsl; the tile's place, loads and
// outputs are matmul_tiled32's, shaders/include/matmul_tile_grid.wgsl) and
// writes the raw sums to partial[s * m * n + index in C]; matmul_splitk_sum
// adds the S slices in order and applies alpha and beta. Each element's sum
// runs over k in the same order wherever its tile starts, so row slices are
// bit-identical to the whole launch. The WebGPU device runs both and owns
// `partial` (variants.ts).
//! include matmul_bindings.wgsl
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
//! include gemm_tile32.wgsl
//! include matmul_tile_loads.wgsl
//! include matmul_tile_grid.wgsl

/** Where this workgroup's slice of k begins, and where its partial sums go in `partial`. */
var<private> kLo: u32;
var<private> sliceBase: u32;

fn kStart() -> u32 { return kLo; }

fn storeOut(row: u32, col: u32, sum: f32) { partial[sliceBase + row * p.n + col] = sum; }

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  placeTile(wg);
  let chunk = ((p.k + nwg.z - 1u) / nwg.z + TILE_K - 1u) / TILE_K * TILE_K;
  let lo = min(p.k, wg.z * chunk); // a let: the loop's trip count must be uniform (a private variable is not)
  kLo = lo;
  sliceBase = wg.z * p.m * p.n;
  storeTile(gemmTile(min(p.k, lo + chunk) - lo, lid), lid);
}
