// conv2d_tiled32: conv2d_tiled on 32 x 32 tiles (2 x 2 outputs per
// invocation, shaders/include/gemm_tile32.wgsl), for convolutions whose
// 64 x 64 grid has too few workgroups to fill a GPU (squeezenet's and
// mobilenet_v2's late layers at batch 1: 13 x 13 or 7 x 7 pixels): four times
// the workgroups, each with a quarter of the work per step along k.
// Selected by the WebGPU device instead of conv2d (src/devices/webgpu/variants.ts).
//! include conv_params.wgsl
//! include gemm_tile32.wgsl
//! include conv_tiled_body.wgsl
