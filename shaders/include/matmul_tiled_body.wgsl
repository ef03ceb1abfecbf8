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
//! include matmul_wide_io.wgsl

/** vec4s in one buffer of a tile (TK x T / 4): A's two buffers, then B's two (at TILE_B). */
const BUF = TK * 32u;
const TILE_B = 2u * BUF;
var<workgroup> tiles: array<vec4f, 4u * BUF>; // [A buffer 0, 1, B buffer 0, 1][k][row or column / 4]

/** One step along k: depth row `at` of the current buffers (4 vec4 reads, 64 FMAs). */
fn mac(x: Acc, at: u32) -> Acc {
  return fma8x8(x, tiles[at + ty], tiles[at + 16u + ty], tiles[TILE_B + at + tx], tiles[TILE_B + at + 16u + tx]);
}

/** Eight steps from depth row `at`, written out. */
fn eight(x: Acc, at: u32) -> Acc {
  let y = mac(mac(mac(mac(x, at), at + 32u), at + 64u), at + 96u);
  return mac(mac(mac(mac(y, at + 128u), at + 160u), at + 192u), at + 224u);
}

/** The TK steps on tile buffer i (the including kernel's steps, from that buffer's offset). */
fn stepsOn(x: Acc, i: u32) -> Acc { return steps(x, i * BUF); }

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

fn store(i: u32, li: u32, l: Loads) {
  let buf = i * BUF;
  let kcA = (p.flags & 1u) == 0u;
  let kcB = (p.flags & 2u) != 0u;
  putTile(buf, kcA, li, l.a0);
  putTile(TILE_B + buf, kcB, li, l.b0);
  if (LOADS > 1u) {
    putTile(buf, kcA, li + 256u, l.a1);
    putTile(TILE_B + buf, kcB, li + 256u, l.b1);
  }
}