// matmul_bindings.wgsl's contract with the matrices viewed as vec4s (16-byte
// global loads and stores): a kernel including it is chosen only where every
// row of A, B and C that it reads as a vector starts on a multiple of 4 words
// (src/devices/webgpu/variants.ts, vec4Aligned). Element i is x[i >> 2][i & 3].
struct Params { m: u32, n: u32, k: u32, flags: u32, alpha: f32, beta: f32, row0: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
