// Shared by batched_matmul and batched_matmul_tiled (pasted at
// `//! include batched_matmul_params.wgsl`): the Params of a batched MatMul
// and its bindings. bias: a row bias [n] added to every row (zeros when the
// MatMul has none).
struct Params { m: u32, n: u32, k: u32, rank: u32, dims: vec4u, sa: vec4u, sb: vec4u }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
