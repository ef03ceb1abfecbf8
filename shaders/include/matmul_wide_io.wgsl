// The parts of the 128 x 128 vec4 GEMMs that do not depend on how the
// workgroup tiles are laid out (pasted by scripts/embed-shaders.mjs into
// shaders/include/matmul_tiled_body.wgsl and matmul_slab_body.wgsl): the
// bindings, the global loads of one step (unchecked in interior tiles,
// element by element in edge tiles), the 8 x 8 multiply-accumulate on four
// vec4s, the epilogue and main. A body defines the tiles and
// fn stepsOn(x: Acc, i: u32) -> Acc (the TK steps on tile buffer i, 0 or 1)
// and fn store(i: u32, li: u32, l: Loads) (one step's loads into buffer i).
//! include matmul_bindings_vec4.wgsl

const T = 128u;
/** vec4s of A (and of B) each invocation loads per step. */
const LOADS = TK / 8u;

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

/** One step along k on an invocation's vec4s of A (rows 4*ty.., 64+4*ty..) and B (columns 4*tx.., 64+4*tx..): 64 FMAs. */
fn fma8x8(x: Acc, a0: vec4f, a1: vec4f, b0: vec4f, b1: vec4f) -> Acc {
  return Acc(
    fma(vec4f(a0.x), b0, x.r0l), fma(vec4f(a0.x), b1, x.r0h), fma(vec4f(a0.y), b0, x.r1l), fma(vec4f(a0.y), b1, x.r1h),
    fma(vec4f(a0.z), b0, x.r2l), fma(vec4f(a0.z), b1, x.r2h), fma(vec4f(a0.w), b0, x.r3l), fma(vec4f(a0.w), b1, x.r3h),
    fma(vec4f(a1.x), b0, x.r4l), fma(vec4f(a1.x), b1, x.r4h), fma(vec4f(a1.y), b0, x.r5l), fma(vec4f(a1.y), b1, x.r5h),
    fma(vec4f(a1.z), b0, x.r6l), fma(vec4f(a1.z), b1, x.r6h), fma(vec4f(a1.w), b0, x.r7l), fma(vec4f(a1.w), b1, x.r7h),
  );
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
    let k1 = (s + 1u) * TK;
    let more = k1 < p.k;
    var next: Loads;
    if (more) { next = load(li, k1, edge || k1 + TK > p.k); }
    acc = stepsOn(acc, s & 1u);
    if (more) { store(1u - (s & 1u), li, next); }
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
