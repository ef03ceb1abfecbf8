// The 128 x 128 vec4 GEMM of matmul_tiled, matmul_tiled8u and matmul_tiled16
// (pasted by scripts/embed-shaders.mjs; the including kernel first sets
// const TK, the depth along k of one step (8 or 16), and defines
// fn steps(x: Acc, cur: u32) -> Acc, which runs the TK multiply-accumulate
// steps `mac` on the tile buffer at `cur`: a loop, or written out one by one
// so that the driver's compiler need not decide to unroll it).
// matmul.wgsl's contract (C = alpha op(A) op(B) + beta C; flags bit 0: A
// stored [k,m], bit 1: B stored [n,k]; beta == 0 never reads C; rows
// [row0, row0 + rows) only, rows 0: to the end) for the large GEMMs of
// training on hardware GPUs. A 16 x 16 workgroup computes a 128 x 128 tile of
// C, each invocation an 8 x 8 block (rows 4*ty.. and 64+4*ty.., columns 4*tx..
// and 64+4*tx..) held in 16 vec4 accumulators (a struct of named vec4s, no
// indexed private array: a driver may put one in local memory). Per step of
// TK along k each invocation loads TK / 8 vec4s of A and as many of B from
// global memory (row segments along whichever dimension is contiguous in the
// stored layout: the transposes are handled here, by the load) into registers
// while the workgroup computes on the other half of double-buffered
// workgroup tiles (one barrier a step); 4 vec4 reads of workgroup memory feed
// 64 FMAs. Interior tiles read without bounds checks; edge tiles (and the
// last step when k is not a multiple of TK) read element by element, 0
// outside. Tiles sit on the 128-row grid of the whole matrix, not of the
// slice, so every vec4 row segment is 16-byte aligned; a slice's first and
// last tiles are edge tiles. Each element's sum runs over k in the same order
// in every tile, so slices are bit-identical to the whole launch.
// Chosen by src/devices/webgpu/variants.ts where the rows it reads as vec4s
// are aligned (vec4Aligned) and the grid fills the GPU.
//! include matmul_bindings_vec4.wgsl

const T = 128u;
/** vec4s in one buffer of a tile (TK x T / 4): A's two buffers, then B's two (at TILE_B). */
const BUF = TK * 32u;
const TILE_B = 2u * BUF;
/** vec4s of A (and of B) each invocation loads per step. */
const LOADS = TK / 8u;
var<workgroup> tiles: array<vec4f, 4u * BUF>; // [A buffer 0, 1, B buffer 0, 1][k][row or column / 4]

var<private> lo: u32; // first row of C this launch writes
var<private> hi: u32; // one past its last
var<private> tr0: u32; // the tile's first row
var<private> tc0: u32; // the tile's first column
var<private> tx: u32;
var<private> ty: u32;

/** The 8 x 8 block of one invocation: row i (0..7) in ri, columns 0..3 in l, 64..67 in h (+ 4*tx). */
struct Acc {
  r0l: vec4f, r0h: vec4f, r1l: vec4f, r1h: vec4f, r2l: vec4f, r2h: vec4f, r3l: vec4f, r3h: vec4f,
  r4l: vec4f, r4h: vec4f, r5l: vec4f, r5h: vec4f, r6l: vec4f, r6h: vec4f, r7l: vec4f, r7h: vec4f,
}

/** One step along k: depth row `at` of the current buffers (4 vec4 reads, 64 FMAs). */
fn mac(x: Acc, at: u32) -> Acc {
  let a0 = tiles[at + ty];
  let a1 = tiles[at + 16u + ty];
  let b0 = tiles[TILE_B + at + tx];
  let b1 = tiles[TILE_B + at + 16u + tx];
  return Acc(
    fma(vec4f(a0.x), b0, x.r0l), fma(vec4f(a0.x), b1, x.r0h), fma(vec4f(a0.y), b0, x.r1l), fma(vec4f(a0.y), b1, x.r1h),
    fma(vec4f(a0.z), b0, x.r2l), fma(vec4f(a0.z), b1, x.r2h), fma(vec4f(a0.w), b0, x.r3l), fma(vec4f(a0.w), b1, x.r3h),
    fma(vec4f(a1.x), b0, x.r4l), fma(vec4f(a1.x), b1, x.r4h), fma(vec4f(a1.y), b0, x.r5l), fma(vec4f(a1.y), b1, x.r5h),
    fma(vec4f(a1.z), b0, x.r6l), fma(vec4f(a1.z), b1, x.r6h), fma(vec4f(a1.w), b0, x.r7l), fma(vec4f(a1.w), b1, x.r7h),
  );
}

/** Eight steps from depth row `at`, written out. */
fn eight(x: Acc, at: u32) -> Acc {
  let y = mac(mac(mac(mac(x, at), at + 32u), at + 64u), at + 96u);
  return mac(mac(mac(mac(y, at + 128u), at + 160u), at + 192u), at + 224u);
}

// Slot e (0 .. TK*32) of a tile at depth k0, in a matrix of lines (A's rows,
// B's columns) from line0: stored contiguous along k (kc: A [m,k], B [n,k]),
// line e / (TK/4) at k 4*(e % (TK/4)).. (TK/4 invocations read one line's
// segment); else depth e/32 at lines 4*(e%32)..
struct Slot { line: u32, k: u32, kc: bool }

fn slot(e: u32, k0: u32, line0: u32, kc: bool) -> Slot {
  if (kc) { return Slot(line0 + e / (TK / 4u), k0 + (e % (TK / 4u)) * 4u, kc); }
  return Slot(line0 + (e & 31u) * 4u, k0 + (e >> 5u), kc);
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

fn loadA(e: u32, k0: u32, checked: bool) -> vec4f {
  let s = slot(e, k0, tr0, (p.flags & 1u) == 0u);
  if (!checked) { return a[first(s, p.m) >> 2u]; }
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let i = flat(s, j, p.m, lo, hi);
    if (i != ~0u) { v[j] = a[i >> 2u][i & 3u]; }
  }
  return v;
}

fn loadB(e: u32, k0: u32, checked: bool) -> vec4f {
  let s = slot(e, k0, tc0, (p.flags & 2u) != 0u);
  if (!checked) { return b[first(s, p.n) >> 2u]; }
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let i = flat(s, j, p.n, 0u, p.n);
    if (i != ~0u) { v[j] = b[i >> 2u][i & 3u]; }
  }
  return v;
}

/** Stores slot e's vec4 into the tile buffer at `at`: one vec4 store, or 4 scalars across the k rows when kc. */
fn putTile(at: u32, kc: bool, e: u32, v: vec4f) {
  if (!kc) {
    tiles[at + e] = v;
    return;
  }
  let line = e / (TK / 4u);
  let o = at + (e % (TK / 4u)) * 128u + (line >> 2u);
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

/** This invocation's slots of one step at depth k0 (LOADS of A, then LOADS of B; at most 2 each). */
struct Loads { a0: vec4f, a1: vec4f, b0: vec4f, b1: vec4f }

fn load(li: u32, k0: u32, checked: bool) -> Loads {
  var l = Loads(loadA(li, k0, checked), vec4f(0.0), loadB(li, k0, checked), vec4f(0.0));
  if (LOADS > 1u) {
    l.a1 = loadA(li + 256u, k0, checked);
    l.b1 = loadB(li + 256u, k0, checked);
  }
  return l;
}

fn store(buf: u32, li: u32, l: Loads) {
  let kcA = (p.flags & 1u) == 0u;
  let kcB = (p.flags & 2u) != 0u;
  putTile(buf, kcA, li, l.a0);
  putTile(TILE_B + buf, kcB, li, l.b0);
  if (LOADS > 1u) {
    putTile(buf, kcA, li + 256u, l.a1);
    putTile(TILE_B + buf, kcB, li + 256u, l.b1);
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  lo = p.row0;
  hi = select(p.m, min(p.m, p.row0 + p.rows), p.rows != 0u);
  tr0 = (lo / T + wg.y) * T;
  tc0 = wg.x * T;
  tx = lid.x;
  ty = lid.y;
  let edge = tr0 < lo || tr0 + T > hi || tc0 + T > p.n;
  let li = lid.y * 16u + lid.x;
  store(0u, li, load(li, 0u, edge || TK > p.k));
  workgroupBarrier();
  let z = vec4f(0.0);
  var acc = Acc(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
  let n = (p.k + TK - 1u) / TK;
  for (var s = 0u; s < n; s++) {
    let cur = (s & 1u) * BUF;
    let k1 = (s + 1u) * TK;
    let more = k1 < p.k;
    var next: Loads;
    if (more) { next = load(li, k1, edge || k1 + TK > p.k); }
    acc = steps(acc, cur);
    if (more) { store(BUF - cur, li, next); }
    workgroupBarrier();
  }
  let ra = tr0 + ty * 4u;
  let rb = ra + 64u;
  let cl = tc0 + tx * 4u;
  let ch = cl + 64u;
  put(ra, cl, acc.r0l, edge); put(ra, ch, acc.r0h, edge);
  put(ra + 1u, cl, acc.r1l, edge); put(ra + 1u, ch, acc.r1h, edge);
  put(ra + 2u, cl, acc.r2l, edge); put(ra + 2u, ch, acc.r2h, edge);
  put(ra + 3u, cl, acc.r3l, edge); put(ra + 3u, ch, acc.r3h, edge);
  put(rb, cl, acc.r4l, edge); put(rb, ch, acc.r4h, edge);
  put(rb + 1u, cl, acc.r5l, edge); put(rb + 1u, ch, acc.r5h, edge);
  put(rb + 2u, cl, acc.r6l, edge); put(rb + 2u, ch, acc.r6h, edge);
  put(rb + 3u, cl, acc.r7l, edge); put(rb + 3u, ch, acc.r7h, edge);
}
