// conv2d_splitk64: the slices of a split-k implicit-GEMM convolution on the
// 64 x 64 tiles of shaders/include/gemm_tile.wgsl (4 x 4 outputs per
// invocation; shaders/include/conv_splitk_body.wgsl), for convolutions whose
// 64 x 64 grid times the split still fills a GPU (resnet50's layer4 at batch 8).
// Followed by conv2d_splitk_sum; selected by the WebGPU device instead of
// conv2d (src/devices/webgpu/variants.ts).
//! include conv_params.wgsl
//! include gemm_tile.wgsl
//! include conv_splitk_body.wgsl
