// batched_gemm: for each batch entry z < batch, C_z = alpha op(A_z) op(B_z) + beta C_z,
// row-major f32, operand z at element offset z * stride (stride 0 broadcasts).
// op(A_z) is [m, k] (stored [k, m] when flags bit 0), op(B_z) is [k, n] (stored
// [n, k] when flags bit 1), C_z is [m, n]. One output per invocation: the plain
// form of what CUDA runs as cublasSgemmStridedBatched (tiled WGSL matmuls for
// hardware GPUs are issue 17's). beta == 0 never reads C.
struct Params { m: u32, n: u32, k: u32, flags: u32, alpha: f32, beta: f32, batch: u32, sa: u32, sb: u32, sc: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let z = gid.z;
  if (col >= p.n || row >= p.m || z >= p.batch) { return; }
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  let aBase = z * p.sa + select(row * p.k, row, transA);
  let aStep = select(1u, p.m, transA);
  let bBase = z * p.sb + select(col, col * p.k, transB);
  let bStep = select(p.n, 1u, transB);
  var acc = 0.0;
  for (var t = 0u; t < p.k; t++) { acc = fma(a[aBase + t * aStep], b[bBase + t * bStep], acc); }
  let o = z * p.sc + row * p.n + col;
  var v = p.alpha * acc;
  if (p.beta != 0.0) { v += p.beta * c[o]; }
  c[o] = v;
}
