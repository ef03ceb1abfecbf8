// matmul_tiled64: matmul.wgsl's contract with 64 x 64 workgroup tiles and
// 4 x 4 outputs per invocation (shaders/include/gemm_tile.wgsl), 16 deep along
// k (shaders/include/matmul_tile_main.wgsl): the tiled matmul for any shape on
// hardware adapters (variants.ts: matmuls too small or unaligned for
// matmul_tiled's 128 x 128 vec4 tiles, and large enough to fill the GPU with
// 64 x 64 tiles).
//! include matmul_bindings.wgsl
//! include gemm_tile.wgsl
//! include matmul_tile_loads.wgsl
//! include matmul_tile_main.wgsl
