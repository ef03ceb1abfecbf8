// matmul_tiled: matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags
// bit 0: A stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C; rows
// [row0, row0 + rows) only, rows 0: to the end) for the large GEMMs of
// training on hardware GPUs. A 16 x 16 workgroup computes a 128 x 128 tile of
// C, each invocation an 8 x 8 block (rows 4*ty.. and 64+4*ty.., columns 4*tx..
// and 64+4*tx..) held in 16 named vec4 accumulators (no indexed private
// array: a driver may put one in local memory). Per step of 8 along k each
// invocation loads one vec4 of A and one of B from global memory (a row
// segment along whichever dimension is contiguous in the stored layout: the
// transposes are handled here, by the load) into registers while the
// workgroup computes on the other half of double-buffered workgroup tiles
// (one barrier a step); 4 vec4 reads of workgroup memory feed 64 FMAs.
// Interior tiles read without bounds checks; edge tiles (and the last step
// when k is not a multiple of 8) read element by element, 0 outside.
// Tiles sit on the 128-row grid of the whole matrix, not of the slice, so
// every vec4 row segment is 16-byte aligned; a slice's first and last tiles
// are edge tiles. Each element's sum runs over k in the same order in every
// tile, so slices are bit-identical to the whole launch.
// Chosen by src/devices/webgpu/variants.ts where the rows it reads as vec4s
// are aligned (vec4Aligned) and the grid fills the GPU.
//! include matmul_bindings_vec4.wgsl

const T = 128u;
const TK = 8u;
/** vec4s in one buffer of a tile (TK x T / 4): A's two buffers, then B's two (at TILE_B). */
const BUF = 256u;
const TILE_B = 512u;
var<workgroup> tiles: array<vec4f, 1024>; // [A buffer 0, 1, B buffer 0, 1][k][row or column / 4]

var<private> lo: u32; // first row of C this launch writes
var<private> hi: u32; // one past its last
var<private> tr0: u32; // the tile's first row
var<private> tc0: u32; // the tile's first column

// Invocation li's vec4 of a tile at depth k0, in a matrix of lines (A's rows,
// B's columns) from line0: stored contiguous along k (kc: A [m,k], B [n,k]),
// line li/2 at k 4*(li%2)..; else depth li/32 at lines 4*(li%32)..
struct Slot { line: u32, k: u32, kc: bool }

fn slot(li: u32, k0: u32, line0: u32, kc: bool) -> Slot {
  if (kc) { return Slot(line0 + (li >> 1u), k0 + (li & 1u) * 4u, kc); }
  return Slot(line0 + (li & 31u) * 4u, k0 + (li >> 5u), kc);
}

/** The index of the slot's first element in a matrix of `lines` lines (unchecked: interior tiles). */
fn first(s: Slot, lines: u32) -> u32 { return select(s.k * lines + s.line, s.line * p.k + s.k, s.kc); }

/** Element j of the slot's vec4: its index, or none (~0u) outside lines [lineLo, lineHi) or k. */
fn flat(s: Slot, j: u32, lines: u32, lineLo: u32, lineHi: u32) -> u32 {
  let line = s.line + select(j, 0u, s.kc);
  let k = s.k + select(0u, j, s.kc);
  if (line < lineLo || line >= lineHi || k >= p.k) { return ~0u; }
  return first(Slot(line, k, s.kc), lines);
}

fn loadA(li: u32, k0: u32, checked: bool) -> vec4f {
  let s = slot(li, k0, tr0, (p.flags & 1u) == 0u);
  if (!checked) { return a[first(s, p.m) >> 2u]; }
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let i = flat(s, j, p.m, lo, hi);
    if (i != ~0u) { v[j] = a[i >> 2u][i & 3u]; }
  }
  return v;
}

fn loadB(li: u32, k0: u32, checked: bool) -> vec4f {
  let s = slot(li, k0, tc0, (p.flags & 2u) != 0u);
  if (!checked) { return b[first(s, p.n) >> 2u]; }
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let i = flat(s, j, p.n, 0u, p.n);
    if (i != ~0u) { v[j] = b[i >> 2u][i & 3u]; }
  }
  return v;
}

/** Stores invocation li's vec4 into the tile buffer at `at`: one vec4 store, or 4 scalars across the k rows when kc. */
fn putTile(at: u32, kc: bool, li: u32, v: vec4f) {
  if (!kc) {
    tiles[at + li] = v;
    return;
  }
  let line = li >> 1u;
  let o = at + (li & 1u) * 128u + (line >> 2u);
  tiles[o][line & 3u] = v.x;
  tiles[o + 32u][line & 3u] = v.y;
  tiles[o + 64u][line & 3u] = v.z;
  tiles[o + 96u][line & 3u] = v.w;
}

// Four outputs of one row, columns col..col+3: one vec4 store inside the matrix, else element by element.
fn put(row: u32, col: u32, v: vec4f, edge: bool) {
  if (!edge) {
    let o = (row * p.n + col) >> 2u;
    if (p.beta != 0.0) { c[o] = fma(vec4f(p.alpha), v, p.beta * c[o]); } else { c[o] = p.alpha * v; }
    return;
  }
  if (row < lo || row >= hi) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.n) {
      let i = row * p.n + col + j;
      if (p.beta != 0.0) { c[i >> 2u][i & 3u] = fma(p.alpha, v[j], p.beta * c[i >> 2u][i & 3u]); } else { c[i >> 2u][i & 3u] = p.alpha * v[j]; }
    }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  lo = p.row0;
  hi = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  tr0 = (lo / T + wg.y) * T;
  tc0 = wg.x * T;
  let edge = tr0 < lo || tr0 + T > hi || tc0 + T > p.n;
  let li = lid.y * 16u + lid.x;
  let kcA = (p.flags & 1u) == 0u;
  let kcB = (p.flags & 2u) != 0u;
  putTile(0u, kcA, li, loadA(li, 0u, edge || TK > p.k));
  putTile(TILE_B, kcB, li, loadB(li, 0u, edge || TK > p.k));
  workgroupBarrier();
  var r0l = vec4f(0.0); var r0h = vec4f(0.0); var r1l = vec4f(0.0); var r1h = vec4f(0.0);
  var r2l = vec4f(0.0); var r2h = vec4f(0.0); var r3l = vec4f(0.0); var r3h = vec4f(0.0);
  var r4l = vec4f(0.0); var r4h = vec4f(0.0); var r5l = vec4f(0.0); var r5h = vec4f(0.0);
  var r6l = vec4f(0.0); var r6h = vec4f(0.0); var r7l = vec4f(0.0); var r7h = vec4f(0.0);
  let steps = (p.k + TK - 1u) / TK;
  for (var s = 0u; s < steps; s++) {
    let cur = (s & 1u) * BUF;
    let k1 = (s + 1u) * TK;
    let more = k1 < p.k;
    var na = vec4f(0.0);
    var nb = vec4f(0.0);
    if (more) {
      let checked = edge || k1 + TK > p.k;
      na = loadA(li, k1, checked);
      nb = loadB(li, k1, checked);
    }
    for (var kk = 0u; kk < TK; kk++) {
      let at = cur + kk * 32u;
      let a0 = tiles[at + lid.y];
      let a1 = tiles[at + 16u + lid.y];
      let b0 = tiles[TILE_B + at + lid.x];
      let b1 = tiles[TILE_B + at + 16u + lid.x];
      r0l = fma(vec4f(a0.x), b0, r0l); r0h = fma(vec4f(a0.x), b1, r0h);
      r1l = fma(vec4f(a0.y), b0, r1l); r1h = fma(vec4f(a0.y), b1, r1h);
      r2l = fma(vec4f(a0.z), b0, r2l); r2h = fma(vec4f(a0.z), b1, r2h);
      r3l = fma(vec4f(a0.w), b0, r3l); r3h = fma(vec4f(a0.w), b1, r3h);
      r4l = fma(vec4f(a1.x), b0, r4l); r4h = fma(vec4f(a1.x), b1, r4h);
      r5l = fma(vec4f(a1.y), b0, r5l); r5h = fma(vec4f(a1.y), b1, r5h);
      r6l = fma(vec4f(a1.z), b0, r6l); r6h = fma(vec4f(a1.z), b1, r6h);
      r7l = fma(vec4f(a1.w), b0, r7l); r7h = fma(vec4f(a1.w), b1, r7h);
    }
    if (more) {
      putTile(BUF - cur, kcA, li, na);
      putTile(TILE_B + BUF - cur, kcB, li, nb);
    }
    workgroupBarrier();
  }
  let ra = tr0 + lid.y * 4u;
  let rb = ra + 64u;
  let cl = tc0 + lid.x * 4u;
  let ch = cl + 64u;
  put(ra, cl, r0l, edge); put(ra, ch, r0h, edge);
  put(ra + 1u, cl, r1l, edge); put(ra + 1u, ch, r1h, edge);
  put(ra + 2u, cl, r2l, edge); put(ra + 2u, ch, r2h, edge);
  put(ra + 3u, cl, r3l, edge); put(ra + 3u, ch, r3h, edge);
  put(rb, cl, r4l, edge); put(rb, ch, r4h, edge);
  put(rb + 1u, cl, r5l, edge); put(rb + 1u, ch, r5h, edge);
  put(rb + 2u, cl, r6l, edge); put(rb + 2u, ch, r6h, edge);
  put(rb + 3u, cl, r7l, edge); put(rb + 3u, ch, r7h, edge);
}
