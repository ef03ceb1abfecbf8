// gemm_tile.wgsl's contract on 32 x 32 tiles (pasted by scripts/embed-shaders.mjs
// at `//! include gemm_tile32.wgsl`): a 16 x 16 workgroup computes a 32 x 32
// output tile, each invocation a 2 x 2 register block; per step of 16 along k
// loadTiles() puts A's 32 x 16 and B's 16 x 32 slice into workgroup memory
// (putA/putB, stored as vec2 of 2 rows / 2 columns). For small problems, where
// the 64 x 64 tiles would leave most of the GPU idle.
const TILE = 32u;
const TILE_K = 16u;
/** Outputs per invocation along rows and along columns. */
const PER = 2u;
/** Tile elements each invocation loads per step along k (TILE * TILE_K / 256). */
const LOADS = 2u;
var<workgroup> tileA: array<vec2f, 256>; // [k][row / 2]
var<workgroup> tileB: array<vec2f, 256>; // [k][col / 2]

fn putA(kk: u32, r: u32, v: f32) { tileA[kk * 16u + r / 2u][r % 2u] = v; }
fn putB(kk: u32, c: u32, v: f32) { tileB[kk * 16u + c / 2u][c % 2u] = v; }

/** Rows 2*lid.y.. and columns 2*lid.x.. of the tile: acc[i][j] = row i, column j. */
fn gemmTile(kTotal: u32, lid: vec3u) -> array<vec2f, 2> {
  let li = lid.y * 16u + lid.x;
  var acc = array<vec2f, 2>(vec2f(0.0), vec2f(0.0));
  for (var k0 = 0u; k0 < kTotal; k0 += TILE_K) {
    loadTiles(li, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tileA[kk * 16u + lid.y];
      let bv = tileB[kk * 16u + lid.x];
      acc[0] = fma(vec2f(av.x), bv, acc[0]);
      acc[1] = fma(vec2f(av.y), bv, acc[1]);
    }
    workgroupBarrier();
  }
  return acc;
}
