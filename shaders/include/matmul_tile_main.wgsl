// The entry point of matmul_tiled64 and matmul_tiled32 (pasted by
// scripts/embed-shaders.mjs after matmul_bindings.wgsl, gemm_tile.wgsl or
// gemm_tile32.wgsl, and matmul_tile_loads.wgsl): matmul.wgsl's contract
// (C = alpha op(A) op(B) + beta C; flags bit 0: A stored [k,m], bit 1: B
// stored [n,k]; beta == 0 never reads C; rows [row0, row0 + rows) only, rows
// 0: to the end) on TILE x TILE workgroup tiles, PER x PER outputs per
// invocation, TILE_K deep along k (the tile's place, loads and outputs:
// matmul_tile_grid.wgsl). Its grid: [ceil(n / TILE), ceil(rows / TILE)]
// workgroups of 16 x 16. Each element's sum runs over k in the same order
// wherever its tile starts, so slices are bit-identical to the whole launch.
//! include matmul_tile_grid.wgsl

/** The whole of k, from 0. */
fn kStart() -> u32 { return 0u; }

fn storeOut(row: u32, col: u32, sum: f32) {
  let o = row * p.n + col;
  var v = p.alpha * sum;
  if (p.beta != 0.0) { v += p.beta * c[o]; }
  c[o] = v;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  placeTile(wg);
  storeTile(gemmTile(p.k, lid), lid);
}
