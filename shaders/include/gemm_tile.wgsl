// Shared by the *_tiled kernels (pasted by scripts/embed-shaders.mjs at
// `//! include gemm_tile.wgsl`): the workgroup-tiled inner loop of
// gemm_tile_body.wgsl on 64 x 64 tiles, 4 x 4 outputs per invocation, 16 deep
// along k, vec4 reads of the tiles.
const TILE = 64u;
const TILE_K = 16u;
/** Outputs per invocation along rows and along columns. */
const PER = 4u;
/** Tile elements each invocation loads per step along k (TILE * TILE_K / 256). */
const LOADS = 4u;
alias TileVec = vec4f;
//! include gemm_tile_body.wgsl
