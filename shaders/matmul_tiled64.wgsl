// matmul_tiled64: matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags
// bit 0: A stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C; rows
// [row0, row0 + rows) only, rows 0: to the end) with 64 x 64 workgroup tiles
// and 4 x 4 outputs per invocation (shaders/include/gemm_tile.wgsl), 16 deep
// along k: the tiled matmul for any shape on hardware adapters (variants.ts:
// matmuls too small or unaligned for matmul_tiled's 128 x 128 vec4 tiles).
// Its grid: [ceil(n / 64), ceil(rows / 64)] workgroups of 16 x 16.
//! include matmul_bindings.wgsl
//! include gemm_tile.wgsl
//! include matmul_tile_loads.wgsl

var<private> row0: u32;
var<private> col0: u32;
var<private> mEnd: u32;

fn loadTiles(li: u32, k0: u32) {
  for (var q = 0u; q < 4u; q++) {
    let ea = tileElemA(li + q * 256u, row0, mEnd, k0, TILE, TILE_K);
    putA(ea.k, ea.i, ea.v);
    let eb = tileElemB(li + q * 256u, col0, k0, TILE, TILE_K);
    putB(eb.k, eb.i, eb.v);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  row0 = p.row0 + wg.y * TILE;
  col0 = wg.x * TILE;
  mEnd = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  let acc = gemmTile(p.k, lid);
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= mEnd) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col >= p.n) { break; }
      let o = row * p.n + col;
      var v = p.alpha * acc[i][j];
      if (p.beta != 0.0) { v += p.beta * c[o]; }
      c[o] = v;
    }
  }
}
