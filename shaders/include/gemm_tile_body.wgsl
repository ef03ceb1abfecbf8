// The workgroup-tiled inner loop for hardware GPUs (pasted by
// scripts/embed-shaders.mjs after gemm_tile.wgsl or gemm_tile32.wgsl, which
// set its sizes: TILE, TILE_K, PER outputs per invocation along rows and
// along columns, LOADS tile elements each invocation loads per step, and
// TileVec = the vector of PER floats). A 16 x 16 workgroup computes a
// TILE x TILE output tile, each invocation a PER x PER register block; per
// step of TILE_K along k the kernel's loadTiles() puts A's TILE x TILE_K and
// B's TILE_K x TILE slice into workgroup memory (putA/putB, stored as vectors
// of PER rows / PER columns), and the block reads them back as vectors:
// 2 vector loads from workgroup memory feed PER x PER FMAs.
// The including kernel defines loadTiles(li, k0) (li: local index 0..255)
// and calls gemmTile(kTotal, lid) from uniform control flow (barriers).
var<workgroup> tileA: array<TileVec, 256>; // [k][row / PER]
var<workgroup> tileB: array<TileVec, 256>; // [k][col / PER]

// Row kk of a tile keeps its 16 vectors in the order v ^ (kk & 7) (a swizzle):
// where neighbouring invocations load neighbouring k of one row or column (a
// layout contiguous along k), their stores spread over 8 banks instead of one.
fn putA(kk: u32, r: u32, v: f32) { tileA[kk * 16u + ((r / PER) ^ (kk & 7u))][r % PER] = v; }
fn putB(kk: u32, c: u32, v: f32) { tileB[kk * 16u + ((c / PER) ^ (kk & 7u))][c % PER] = v; }

/** Rows PER*lid.y.. and columns PER*lid.x.. of the tile: acc[i][j] = row i, column j. */
fn gemmTile(kTotal: u32, lid: vec3u) -> array<TileVec, PER> {
  let li = lid.y * 16u + lid.x;
  var acc: array<TileVec, PER>;
  for (var k0 = 0u; k0 < kTotal; k0 += TILE_K) {
    loadTiles(li, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tileA[kk * 16u + (lid.y ^ (kk & 7u))];
      let bv = tileB[kk * 16u + (lid.x ^ (kk & 7u))];
      for (var i = 0u; i < PER; i++) { acc[i] = fma(TileVec(av[i]), bv, acc[i]); }
    }
    workgroupBarrier();
  }
  return acc;
}
