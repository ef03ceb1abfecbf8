// Shared by the implicit-GEMM convolutions (conv_tiled_body.wgsl,
// conv_splitk_body.wgsl; pasted by scripts/embed-shaders.mjs after
// conv_params.wgsl and one of the gemm tile includes, which define TILE,
// TILE_K, PER and LOADS): the tile loads of gemm_tile_body.wgsl for
// Y[co, pixel] = W[co, k] X'[k, pixel] per group, k = (ci, kh, kw) and X' the
// im2col view of X, gathered into workgroup memory as it is needed (never
// written out), over the reduction range [kLo, kHi) (all of k, or a split-k
// slice). Tile rows: TILE output channels of group grp from row0; columns:
// TILE output pixels over (n, oh, ow) from col0.
var<private> row0: u32;
var<private> col0: u32;
var<private> grp: u32;
var<private> kLo: u32;
var<private> kHi: u32;
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
    if (row0 + ar < coutG && kLo + k0 + ak < kHi) { av = wt[(grp * coutG + row0 + ar) * kSize + kLo + k0 + ak]; }
    putA(ak, ar, av);
    // B = im2col(X): along pixels; e % TILE == li % TILE, the column fixed by convTile().
    let bk = e / TILE;
    let k = kLo + k0 + bk;
    var bv = 0.0;
    if (pixBase >= 0 && k < kHi) {
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

/**
 * The tile of workgroup (wx, wy) of group g over k in [lo, hi): sets the
 * gather's state, then runs gemmTile (call from uniform control flow).
 */
fn convTile(wx: u32, wy: u32, g: u32, lo: u32, hi: u32, lid: vec3u) -> array<TileVec, PER> {
  row0 = wy * TILE;
  col0 = wx * TILE;
  grp = g;
  kLo = lo;
  kHi = hi;
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
  return gemmTile(select(0u, hi - lo, hi > lo), lid);
}

struct TileOut {
  /** Index in Y (n, co, oh, ow). */
  y: u32,
  /** Output channel (of all groups). */
  co: u32,
  /** Inside Y (edge tiles reach past the last pixel or channel). */
  ok: bool,
}

/** Where the register block's element acc[i][j] of the tile convTile() computed goes. */
fn tileOut(lid: vec3u, i: u32, j: u32) -> TileOut {
  let pix = col0 + lid.x * PER + j;
  let r = row0 + lid.y * PER + i;
  let coutG = p.cout / p.groups;
  let co = grp * coutG + r;
  let ohw = p.oh * p.ow;
  let nb = pix / ohw;
  return TileOut(((nb * p.cout + co) * ohw) + pix % ohw, co, pix < p.n * ohw && r < coutG);
}
