// The entry point of matmul_tiled64 and matmul_tiled32 (pasted by
// scripts/embed-shaders.mjs after matmul_bindings.wgsl, gemm_tile.wgsl or
// gemm_tile32.wgsl, and matmul_tile_loads.wgsl): matmul.wgsl's contract
// (C = alpha op(A) op(B) + beta C; flags bit 0: A stored [k,m], bit 1: B
// stored [n,k]; beta == 0 never reads C; rows [row0, row0 + rows) only, rows
// 0: to the end) on TILE x TILE workgroup tiles, PER x PER outputs per
// invocation, TILE_K deep along k. Its grid: [ceil(n / TILE), ceil(rows / TILE)]
// workgroups of 16 x 16. Each element's sum runs over k in the same order
// wherever its tile starts, so slices are bit-identical to the whole launch.
var<private> row0: u32;
var<private> col0: u32;
var<private> mEnd: u32;

fn loadTiles(li: u32, k0: u32) {
  for (var q = 0u; q < LOADS; q++) {
    let ea = tileElemA(li + q * 256u, row0, mEnd, k0, TILE, TILE_K);
    putA(ea.k, ea.i, ea.v);
    let eb = tileElemB(li + q * 256u, col0, k0, TILE, TILE_K);
    putB(eb.k, eb.i, eb.v);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  row0 = p.row0 + wg.y * TILE;
  col0 = wg.x * TILE;
  mEnd = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  let acc = gemmTile(p.k, lid);
  for (var i = 0u; i < PER; i++) {
    let row = row0 + lid.y * PER + i;
    if (row >= mEnd) { break; }
    for (var j = 0u; j < PER; j++) {
      let col = col0 + lid.x * PER + j;
      if (col >= p.n) { break; }
      let o = row * p.n + col;
      var v = p.alpha * acc[i][j];
      if (p.beta != 0.0) { v += p.beta * c[o]; }
      c[o] = v;
    }
  }
}
