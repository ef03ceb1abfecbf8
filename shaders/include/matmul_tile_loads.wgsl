// matmul_tiled64's tile loads (pasted by scripts/embed-shaders.mjs):
// element e of a tile of A (t rows x tk deep, from row0) or of B (tk deep x t
// columns, from col0) at depth k0, in either stored layout (flags bit 0: A is
// [k,m]; bit 1: B is [n,k]), ordered so that neighbouring e read neighbouring
// words; 0 outside the matrix (rows from mEnd on: a time slice's end).
// The including kernel declares p (m, n, k, flags), a and b.
struct TileElem { k: u32, i: u32, v: f32 }

fn tileElemA(e: u32, row0: u32, mEnd: u32, k0: u32, t: u32, tk: u32) -> TileElem {
  let trans = (p.flags & 1u) != 0u;
  let i = select(e / tk, e % t, trans);
  let kk = select(e % tk, e / t, trans);
  let r = row0 + i;
  let k = k0 + kk;
  var v = 0.0;
  if (r < mEnd && k < p.k) { v = a[select(r * p.k + k, k * p.m + r, trans)]; }
  return TileElem(kk, i, v);
}

fn tileElemB(e: u32, col0: u32, k0: u32, t: u32, tk: u32) -> TileElem {
  let trans = (p.flags & 2u) != 0u;
  let i = select(e % t, e / tk, trans);
  let kk = select(e / t, e % tk, trans);
  let col = col0 + i;
  let k = k0 + kk;
  var v = 0.0;
  if (col < p.n && k < p.k) { v = b[select(k * p.n + col, col * p.k + k, trans)]; }
  return TileElem(kk, i, v);
}
