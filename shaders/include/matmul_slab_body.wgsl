// The 128 x 128 vec4 GEMM of matmul_slab8: the same
// contract, loads, step order and epilogue as matmul_tiled_body.wgsl
// (shaders/include/matmul_wide_io.wgsl), with the workgroup tiles laid out
// so that Dawn's bounds checks cost one clamp per step instead of one per
// workgroup-memory read. Robustness clamps every non-constant index into an
// array (workgroup arrays included); matmul_tiled8u reads its tiles at
// `cur + 32 * kk + ty` (4 clamped reads per 64 FMAs, and a clamp keeps the
// driver from folding the constant into the load's offset). Here each tile
// buffer is 16 *slabs*, one per row of invocations (A: slab ty holds rows
// 4*ty.. and 64+4*ty.. at every depth of the step; B: slab tx holds columns
// 4*tx.. and 64+4*tx..): an invocation takes a pointer to its slab once a
// step (one clamped index) and reads vec4s [2d] and [2d + 1] of depth d at
// constant indices, which need no clamp. A slab is 2*TK vec4s and one of
// padding, so that the slabs of 8 neighbouring invocations start 16 bytes
// apart modulo 128 and their vec4 reads of B hit distinct banks. The
// including kernel sets const TK (8; 16 would need 33 KiB, more than
// SwiftShader's 32 KiB) and defines
// fn stepsOn(x: Acc, i: u32) -> Acc: the TK steps on buffer i written out,
// from `let sa = &slabs[i * 16u + ty]; let sb = &slabs[SLABS_B + i * 16u + tx];`
// at constant indices. Each element's sum runs
// over k in the same order as matmul_tiled8u's (bit-identical results), and
// row slices are bit-identical to the whole launch for the same reasons.
//! include matmul_wide_io.wgsl

/** vec4s of one slab: depth d, half h at [2d + h]; the last is padding. */
const SLAB = 2u * TK + 1u;
alias Slab = array<vec4f, SLAB>;
/** A's slabs at [buffer * 16 + ty], B's at [SLABS_B + buffer * 16 + tx]. */
var<workgroup> slabs: array<Slab, 64>;
const SLABS_B = 32u;

/**
 * Stores slot e's vec4 (matmul_wide_io.wgsl's Slot) into the slabs from `at`: line
 * group j = line / 4 belongs to slab j % 16, half j / 16. Along the lines
 * (not kc): one vec4 at depth e / 32; along k (kc): the 4 depths' element
 * line % 4.
 */
fn putSlab(at: u32, kc: bool, e: u32, v: vec4f) {
  if (!kc) {
    let j = e & 31u;
    slabs[at + (j & 15u)][2u * (e >> 5u) + (j >> 4u)] = v;
    return;
  }
  let line = e / (TK / 4u);
  let j = line >> 2u;
  let s = &slabs[at + (j & 15u)];
  let d = 8u * (e % (TK / 4u)) + (j >> 4u);
  (*s)[d][line & 3u] = v.x;
  (*s)[d + 2u][line & 3u] = v.y;
  (*s)[d + 4u][line & 3u] = v.z;
  (*s)[d + 6u][line & 3u] = v.w;
}

/** One step's loads into buffer i. */
fn store(i: u32, li: u32, l: Loads) {
  let kcA = (p.flags & 1u) == 0u;
  let kcB = (p.flags & 2u) != 0u;
  putSlab(i * 16u, kcA, li, l.a0);
  putSlab(SLABS_B + i * 16u, kcB, li, l.b0);
  if (LOADS > 1u) {
    putSlab(i * 16u, kcA, li + 256u, l.a1);
    putSlab(SLABS_B + i * 16u, kcB, li + 256u, l.b1);
  }
}
