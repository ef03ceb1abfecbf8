// Shared by conv2d, conv2d_direct and conv_transpose2d (pasted by
// scripts/embed-shaders.mjs at `//! include conv_params.wgsl`): the Params of
// a 2-D convolution and its bindings. lo/hi clamp the output (a fused Relu or
// Clip) where the kernel has that epilogue; conv_transpose2d ignores them.
struct Params {
  n: u32, cin: u32, h: u32, w: u32,
  cout: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: u32, pw: u32, dh: u32, dw: u32,
  hasBias: u32, total: u32, lo: f32, hi: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
