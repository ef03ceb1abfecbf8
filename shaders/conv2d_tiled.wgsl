// conv2d_tiled: conv2d.wgsl's contract (bias, then clamp to [lo, hi]) as an
// implicit GEMM on the 64 x 64 workgroup tiles of shaders/include/gemm_tile.wgsl
// (4 x 4 outputs per invocation), for hardware GPUs
// (shaders/include/conv_tiled_body.wgsl). Selected by the WebGPU device
// instead of conv2d (src/devices/webgpu/variants.ts) for convolutions with enough
// tiles to fill the GPU; smaller ones run conv2d_tiled32.
//! include conv_params.wgsl
//! include gemm_tile.wgsl
//! include conv_tiled_body.wgsl
