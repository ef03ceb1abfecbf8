// matmul: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C.
// flags bit 0: A is stored transposed ([k,m]); bit 1: B is stored transposed ([n,k]).
// 16x16 output tile per workgroup, one output per invocation, k in steps of 16.
// beta == 0 never reads C, so an unwritten (poisoned) C cannot leak through.
struct Params { m: u32, n: u32, k: u32, flags: u32, alpha: f32, beta: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<f32, 256>; // [row][kk]
var<workgroup> tileB: array<f32, 256>; // [kk][col]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  let row = wg.y * 16u + l.y;
  let col = wg.x * 16u + l.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.k; k0 += 16u) {
    // Each invocation loads one element of each tile; for a transposed
    // operand the roles of l.x and l.y swap so that loads stay coalesced.
    let ar = select(wg.y * 16u + l.y, wg.y * 16u + l.x, transA);
    let ak = select(k0 + l.x, k0 + l.y, transA);
    var va = 0.0;
    if (ar < p.m && ak < p.k) { va = a[select(ar * p.k + ak, ak * p.m + ar, transA)]; }
    tileA[(ar - wg.y * 16u) * 16u + (ak - k0)] = va;
    let bk = select(k0 + l.y, k0 + l.x, transB);
    let bc = select(wg.x * 16u + l.x, wg.x * 16u + l.y, transB);
    var vb = 0.0;
    if (bc < p.n && bk < p.k) { vb = b[select(bk * p.n + bc, bc * p.k + bk, transB)]; }
    tileB[(bk - k0) * 16u + (bc - wg.x * 16u)] = vb;
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) { acc = fma(tileA[l.y * 16u + kk], tileB[kk * 16u + l.x], acc); }
    workgroupBarrier();
  }
  if (row < p.m && col < p.n) {
    let o = row * p.n + col;
    var v = p.alpha * acc;
    if (p.beta != 0.0) { v += p.beta * c[o]; }
    c[o] = v;
  }
}
