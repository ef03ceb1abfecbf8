// matmul_tiled32: matmul.wgsl's contract with 32 x 32 workgroup tiles and
// 2 x 2 outputs per invocation (shaders/include/gemm_tile32.wgsl), 16 deep along
// k (shaders/include/matmul_tile_main.wgsl): for matmuls whose 64 x 64 grid
// would leave most of a large GPU idle (variants.ts: the MLP trainer's weight
// gradients of its first and last layers, 4096 x 64 and 10 x 4096 with
// k = the micro-batch, have 64 workgroups of 64 x 64; 4 times as many here).
//! include matmul_bindings.wgsl
//! include gemm_tile32.wgsl
//! include matmul_tile_loads.wgsl
//! include matmul_tile_main.wgsl
