// batched_matmul: C[b] = A[b] B[b] for row-major A [m,k], B [k,n], C [m,n]
// per batch entry. The batch index (z) is decomposed over up to 4 broadcast
// batch dims; sa/sb are the per-dim element strides of A and B (0 where that
// operand is broadcast). Four outputs of one row per invocation and no
// workgroup memory: on SwiftShader every barrier is a fiber switch.
struct Params { m: u32, n: u32, k: u32, rank: u32, dims: vec4u, sa: vec4u, sb: vec4u }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 4u;
  let row = gid.y;
  if (row >= p.m || col0 >= p.n) { return; }
  var rem = gid.z;
  var offA = 0u;
  var offB = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let k = rem % p.dims[d];
    rem = rem / p.dims[d];
    offA += k * p.sa[d];
    offB += k * p.sb[d];
  }
  let aBase = offA + row * p.k;
  let c1 = min(col0 + 1u, p.n - 1u);
  let c2 = min(col0 + 2u, p.n - 1u);
  let c3 = min(col0 + 3u, p.n - 1u);
  var acc = vec4f(0.0);
  for (var t = 0u; t < p.k; t++) {
    let o = offB + t * p.n;
    acc = fma(vec4f(a[aBase + t]), vec4f(b[o + col0], b[o + c1], b[o + c2], b[o + c3]), acc);
  }
  let cBase = gid.z * p.m * p.n + row * p.n;
  for (var j = 0u; j < 4u; j++) {
    if (col0 + j < p.n) { c[cBase + col0 + j] = acc[j]; }
  }
}
