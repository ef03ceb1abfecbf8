// A matmul tile's place in C, its loads along k and its outputs (pasted by
// scripts/embed-shaders.mjs after gemm_tile.wgsl or gemm_tile32.wgsl and
// matmul_tile_loads.wgsl), shared by matmul_tile_main.wgsl (matmul_tiled32
// and matmul_tiled64) and matmul_splitk32. Workgroup wg computes the TILE x
// TILE tile from row p.row0 + wg.y * TILE (rows below mEnd: rows [row0,
// row0 + rows) only, rows 0: to the end) and column wg.x * TILE.
// The including kernel defines kStart() (where along k its loads begin: 0,
// or its split-k slice) and storeOut(row, col, sum) (what becomes of one
// output's sum over k).
var<private> row0: u32;
var<private> col0: u32;
var<private> mEnd: u32;

fn loadTiles(li: u32, k0: u32) {
  for (var q = 0u; q < LOADS; q++) {
    let ea = tileElemA(li + q * 256u, row0, mEnd, kStart() + k0, TILE, TILE_K);
    putA(ea.k, ea.i, ea.v);
    let eb = tileElemB(li + q * 256u, col0, kStart() + k0, TILE, TILE_K);
    putB(eb.k, eb.i, eb.v);
  }
}

/** Sets workgroup wg's tile: its first row and column, and the launch's end row. */
fn placeTile(wg: vec3u) {
  row0 = p.row0 + wg.y * TILE;
  col0 = wg.x * TILE;
  mEnd = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
}

/** Hands each of the invocation's PER x PER sums (gemmTile's acc) that lies inside C to storeOut. */
fn storeTile(acc: array<TileVec, PER>, lid: vec3u) {
  for (var i = 0u; i < PER; i++) {
    let row = row0 + lid.y * PER + i;
    if (row >= mEnd) { break; }
    for (var j = 0u; j < PER; j++) {
      let col = col0 + lid.x * PER + j;
      if (col >= p.n) { break; }
      storeOut(row, col, acc[i][j]);
    }
  }
}
