// Shared by conv2d_tiled and conv2d_tiled32 (pasted by scripts/embed-shaders.mjs
// at `//! include conv_tiled_body.wgsl`, after conv_params.wgsl and one of the
// gemm tile includes, which define TILE, TILE_K, PER (outputs per invocation
// along rows and columns) and LOADS (tile elements each invocation loads per
// step along k)): the implicit-GEMM convolution. Per group,
// Y[co, pixel] = W[co, k] X'[k, pixel] with k = (ci, kh, kw) and X' the im2col
// view of X, gathered into workgroup memory as it is needed (never written
// out). Tile rows: TILE output channels of one group (workgroup y, z = group);
// columns: TILE output pixels over (n, oh, ow). Epilogue: bias, then clamp to
// [lo, hi] (a fused Relu or Clip).
var<private> row0: u32;
var<private> col0: u32;
var<private> grp: u32;
/** This invocation's im2col column (fixed over k): its pixel's input origin, or -1 past the end. */
var<private> pixBase: i32;
var<private> pixH: i32;
var<private> pixW: i32;

fn loadTiles(li: u32, k0: u32) {
  let coutG = p.cout / p.groups;
  let cinG = p.cin / p.groups;
  let khw = p.kh * p.kw;
  let kSize = cinG * khw;
  for (var q = 0u; q < LOADS; q++) {
    let e = li + q * 256u;
    // A = W: along k.
    let ar = e / TILE_K;
    let ak = e % TILE_K;
    var av = 0.0;
    if (row0 + ar < coutG && k0 + ak < kSize) { av = wt[(grp * coutG + row0 + ar) * kSize + k0 + ak]; }
    putA(ak, ar, av);
    // B = im2col(X): along pixels; e % TILE == li % TILE, the column fixed in main.
    let bk = e / TILE;
    let k = k0 + bk;
    var bv = 0.0;
    if (pixBase >= 0 && k < kSize) {
      // 1x1 kernels (most of mobilenet_v2's and resnet50's): k is the input channel, no division.
      var ci = k;
      var kh = 0u;
      var kw = 0u;
      if (khw != 1u) {
        ci = k / khw;
        let r = k % khw;
        kh = r / p.kw;
        kw = r % p.kw;
      }
      let ih = pixH + i32(kh * p.dh);
      let iw = pixW + i32(kw * p.dw);
      if (ih >= 0 && ih < i32(p.h) && iw >= 0 && iw < i32(p.w)) {
        bv = x[u32(pixBase) + (ci * p.h + u32(ih)) * p.w + u32(iw)];
      }
    }
    putB(bk, e % TILE, bv);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  row0 = wg.y * TILE;
  col0 = wg.x * TILE;
  grp = wg.z;
  let cinG = p.cin / p.groups;
  let pixels = p.n * p.oh * p.ow;
  let mine = col0 + (lid.y * 16u + lid.x) % TILE;
  pixBase = -1;
  if (mine < pixels) {
    let ow = mine % p.ow;
    let oh = (mine / p.ow) % p.oh;
    let nb = mine / (p.ow * p.oh);
    pixBase = i32((nb * p.cin + grp * cinG) * p.h * p.w);
    pixH = i32(oh * p.sh) - i32(p.ph);
    pixW = i32(ow * p.sw) - i32(p.pw);
  }
  let coutG = p.cout / p.groups;
  let acc = gemmTile(cinG * p.kh * p.kw, lid);
  for (var j = 0u; j < PER; j++) {
    let pix = col0 + lid.x * PER + j;
    if (pix >= pixels) { break; }
    let ow = pix % p.ow;
    let oh = (pix / p.ow) % p.oh;
    let nb = pix / (p.ow * p.oh);
    for (var i = 0u; i < PER; i++) {
      let r = row0 + lid.y * PER + i;
      if (r >= coutG) { break; }
      let co = grp * coutG + r;
      var v = acc[i][j];
      if (p.hasBias != 0u) { v += bias[co]; }
      y[((nb * p.cout + co) * p.oh + oh) * p.ow + ow] = clamp(v, p.lo, p.hi);
    }
  }
}
