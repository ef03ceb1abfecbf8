// conv2d_splitk32: conv2d_splitk64 on the 32 x 32 tiles of
// shaders/include/gemm_tile32.wgsl (2 x 2 outputs per invocation), for the
// smallest outputs (resnet50's layer4 at batch 1: 7 x 7 pixels, 32 tiles).
// Followed by conv2d_splitk_sum; selected by the WebGPU device instead of
// conv2d (src/devices/webgpu/variants.ts).
//! include conv_params.wgsl
//! include gemm_tile32.wgsl
//! include conv_splitk_body.wgsl
