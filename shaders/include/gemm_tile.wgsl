// Shared by the *_tiled kernels (pasted by scripts/embed-shaders.mjs at
// `//! include gemm_tile.wgsl`): the workgroup-tiled inner loop for hardware
// GPUs. A 16 x 16 workgroup computes a 64 x 64 output tile, each invocation a
// 4 x 4 register block; per step of 16 along k the kernel's loadTiles() puts
// A's 64 x 16 and B's 16 x 64 slice into workgroup memory (putA/putB, stored
// as vec4 of 4 rows / 4 columns), and the block reads them back as vec4:
// 2 vec4 loads from workgroup memory feed 16 FMAs.
// The including kernel defines loadTiles(li, k0) (li: local index 0..255)
// and calls gemmTile(kTotal, lid) from uniform control flow (barriers).
const TILE = 64u;
const TILE_K = 16u;
/** Outputs per invocation along rows and along columns. */
const PER = 4u;
/** Tile elements each invocation loads per step along k (TILE * TILE_K / 256). */
const LOADS = 4u;
var<workgroup> tileA: array<vec4f, 256>; // [k][row / 4]
var<workgroup> tileB: array<vec4f, 256>; // [k][col / 4]

fn putA(kk: u32, r: u32, v: f32) { tileA[kk * 16u + r / 4u][r % 4u] = v; }
fn putB(kk: u32, c: u32, v: f32) { tileB[kk * 16u + c / 4u][c % 4u] = v; }

/** Rows 4*lid.y.. and columns 4*lid.x.. of the tile: acc[i][j] = row i, column j. */
fn gemmTile(kTotal: u32, lid: vec3u) -> array<vec4f, 4> {
  let li = lid.y * 16u + lid.x;
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var k0 = 0u; k0 < kTotal; k0 += TILE_K) {
    loadTiles(li, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tileA[kk * 16u + lid.y];
      let bv = tileB[kk * 16u + lid.x];
      acc[0] = fma(vec4f(av.x), bv, acc[0]);
      acc[1] = fma(vec4f(av.y), bv, acc[1]);
      acc[2] = fma(vec4f(av.z), bv, acc[2]);
      acc[3] = fma(vec4f(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  return acc;
}
