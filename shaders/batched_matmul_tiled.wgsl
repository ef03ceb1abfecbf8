// batched_matmul_tiled: batched_matmul.wgsl's contract (C[b] = A[b] B[b] +
// row bias, batch index z over up to 4 broadcast dims) with workgroup-shared
// 64 x 64 tiles for hardware GPUs (shaders/include/gemm_tile.wgsl). Selected
// by the WebGPU device instead of batched_matmul (src/devices/webgpu/variants.ts).
//! include batched_matmul_params.wgsl
//! include gemm_tile.wgsl

var<private> row0: u32;
var<private> col0: u32;
var<private> offA: u32;
var<private> offB: u32;

fn loadTiles(li: u32, k0: u32) {
  for (var q = 0u; q < 4u; q++) {
    let e = li + q * 256u;
    let ar = e / TILE_K;
    let ak = e % TILE_K;
    var av = 0.0;
    if (row0 + ar < p.m && k0 + ak < p.k) { av = a[offA + (row0 + ar) * p.k + k0 + ak]; }
    putA(ak, ar, av);
    let bc = e % TILE;
    let bk = e / TILE;
    var bv = 0.0;
    if (col0 + bc < p.n && k0 + bk < p.k) { bv = b[offB + (k0 + bk) * p.n + col0 + bc]; }
    putB(bk, bc, bv);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  row0 = wg.y * TILE;
  col0 = wg.x * TILE;
  var rem = wg.z;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let k = rem % p.dims[d];
    rem = rem / p.dims[d];
    offA += k * p.sa[d];
    offB += k * p.sb[d];
  }
  let acc = gemmTile(p.k, lid);
  let base = wg.z * p.m * p.n;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= p.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col >= p.n) { break; }
      c[base + row * p.n + col] = acc[i][j] + bias[col];
    }
  }
}
