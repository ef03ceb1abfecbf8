// The bindings every matmul kernel shares (matmul.wgsl's contract): C = alpha
// op(A) op(B) + beta C; flags bit 0: A stored [k,m], bit 1: B stored [n,k];
// row0, rows: a time slice of C's rows (rows 0: to the end).
struct Params { m: u32, n: u32, k: u32, flags: u32, alpha: f32, beta: f32, row0: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
