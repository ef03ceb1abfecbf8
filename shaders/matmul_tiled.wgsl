// matmul_tiled: matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags
// bit 0: A stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C) for
// hardware GPUs, sized for the trainer's large GEMMs: a 16 x 16 workgroup
// computes a 128 x 128 tile, each invocation an 8 x 8 register block (rows
// 4*ty.. and 64+4*ty.., columns 4*tx.. and 64+4*tx..: neighbouring invocations
// read neighbouring vec4s of workgroup memory); per step of 8 along k, 4 vec4
// loads from workgroup memory feed 64 FMAs. Global loads are ordered so that
// neighbouring invocations read neighbouring words of A and B in either layout.
// row0, rows: as matmul.wgsl, only rows [row0, row0 + rows) of C (a time slice; rows 0: to the end);
// each row's sums run in the same order as in the whole launch, so slices are bit-identical to it.
// Selected by the WebGPU device instead of matmul (src/devices/webgpu/variants.ts).
//! include matmul_bindings.wgsl
//! include matmul_tile_loads.wgsl

const T = 128u;
const TK = 8u;
var<workgroup> tileA: array<vec4f, 256>; // [k][row / 4]
var<workgroup> tileB: array<vec4f, 256>; // [k][col / 4]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = p.row0 + wg.y * T;
  let mEnd = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  let col0 = wg.x * T;
  let li = lid.y * 16u + lid.x;
  var acc: array<vec4f, 16>; // [i][half]: row block i (0..7), column half 0/1
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    for (var q = 0u; q < 4u; q++) {
      let ea = tileElemA(li + q * 256u, row0, mEnd, k0, T, TK);
      tileA[ea.k * 32u + ea.i / 4u][ea.i % 4u] = ea.v;
      let eb = tileElemB(li + q * 256u, col0, k0, T, TK);
      tileB[eb.k * 32u + eb.i / 4u][eb.i % 4u] = eb.v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a0 = tileA[kk * 32u + lid.y];
      let a1 = tileA[kk * 32u + 16u + lid.y];
      let b0 = tileB[kk * 32u + lid.x];
      let b1 = tileB[kk * 32u + 16u + lid.x];
      for (var i = 0u; i < 4u; i++) {
        acc[2u * i] = fma(vec4f(a0[i]), b0, acc[2u * i]);
        acc[2u * i + 1u] = fma(vec4f(a0[i]), b1, acc[2u * i + 1u]);
        acc[8u + 2u * i] = fma(vec4f(a1[i]), b0, acc[8u + 2u * i]);
        acc[9u + 2u * i] = fma(vec4f(a1[i]), b1, acc[9u + 2u * i]);
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 8u; i++) {
    let row = row0 + select(lid.y * 4u + i, 64u + lid.y * 4u + i - 4u, i >= 4u);
    if (row >= mEnd) { continue; }
    for (var j = 0u; j < 8u; j++) {
      let col = col0 + select(lid.x * 4u + j, 64u + lid.x * 4u + j - 4u, j >= 4u);
      if (col >= p.n) { continue; }
      let o = row * p.n + col;
      var v = p.alpha * acc[2u * i + j / 4u][j % 4u];
      if (p.beta != 0.0) { v += p.beta * c[o]; }
      c[o] = v;
    }
  }
}
