// gemm_tile.wgsl on 32 x 32 tiles (pasted by scripts/embed-shaders.mjs at
// `//! include gemm_tile32.wgsl`): 2 x 2 outputs per invocation, 16 deep along
// k, vec2 reads of the tiles. For small problems, where the 64 x 64 tiles
// would leave most of the GPU idle.
const TILE = 32u;
const TILE_K = 16u;
/** Outputs per invocation along rows and along columns. */
const PER = 2u;
/** Tile elements each invocation loads per step along k (TILE * TILE_K / 256). */
const LOADS = 2u;
alias TileVec = vec2f;
//! include gemm_tile_body.wgsl
