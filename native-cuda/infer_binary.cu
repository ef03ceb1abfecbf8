// binary (f32), binary_int (i32: int32 and int64 held as i32), compare (bool
// out) and where, as shaders/{binary,binary_int,compare,where}.wgsl: numpy
// broadcasting, u32 index arithmetic (wrapping as WGSL's), values as bits.
#include "infer_tensor.h"

namespace handover {
namespace tensor {

// Operand indices of output item i. rank 0: the fast path where each operand
// is a suffix of the output (index mod its size); otherwise i is decomposed
// over the output dims, innermost last, with the operands' strides.
__device__ inline void operands(const BinaryParams& p, uint32_t i, uint32_t& ia, uint32_t& ib) {
  ia = i % p.na;
  ib = i % p.nb;
  if (p.rank == 0) return;
  ia = 0;
  ib = 0;
  coordinates(p.dims, p.rank, i, [&](int d, uint32_t k) {
    ia += k * p.sa[d];
    ib += k * p.sb[d];
  });
}

// WGSL powf: exact small exponents; a negative base with an integral exponent
// takes the sign from the exponent's parity (i32(e) saturates, as
// __float2int_rz does). powf is the correctly signed C pow where WGSL's is
// exp2(e log2 x) (the two differ only in the sign of a zero from -0.0).
__device__ inline float pow_wgsl(float x, float e) {
  if (e == 2.0f) return x * x;
  if (e == 1.0f) return x;
  if (e == 0.0f) return 1.0f;
  if (e == 3.0f) return x * x * x;
  if (e == 0.5f) return sqrtf(x);
  if (x < 0.0f && e == rintf(e)) {
    float m = powf(-x, e);
    return (__float2int_rz(e) & 1) != 0 ? -m : m;
  }
  return powf(x, e);
}

// WGSL min/max return the other operand when one is NaN, as fminf/fmaxf do.
__device__ inline float arith(uint32_t op, float x, float z) {
  switch (op) {
    case 0: return x + z;
    case 1: return x - z;
    case 2: return x * z;
    case 3: return x / z;
    case 4: return pow_wgsl(x, z);
    case 5: return fminf(x, z);
    default: return fmaxf(x, z);
  }
}

__global__ void binary(BinaryParams p, const word* a, const word* b, word* y) {
  uint32_t i, ia, ib;
  if (!item(p.n, i)) return;
  operands(p, i, ia, ib);
  float z = p.bInt != 0 ? (float)(int32_t)b[ib] : __uint_as_float(b[ib]);
  y[i] = __float_as_uint(arith(p.op, __uint_as_float(a[ia]), z));
}

// Integer x^e by squaring, wrapping on overflow; e < 0 gives 1/x^e truncated
// toward zero (so 0 except for x = 1 and x = -1).
__device__ inline int32_t ipow(int32_t x, int32_t e) {
  if (e < 0) return x == 1 ? 1 : x == -1 ? ((e & 1) != 0 ? -1 : 1) : 0;
  uint32_t r = 1, base = (uint32_t)x;
  for (int32_t k = e; k != 0; k >>= 1) {
    if ((k & 1) != 0) r *= base;
    base *= base;
  }
  return (int32_t)r;
}

// i32 arithmetic wraps (done on u32 bits); division truncates, 0 for a zero
// divisor, and INT_MIN / -1 is INT_MIN as in WGSL.
__device__ inline uint32_t arith_int(uint32_t op, uint32_t u, uint32_t v) {
  int32_t x = (int32_t)u, z = (int32_t)v;
  switch (op) {
    case 0: return u + v;
    case 1: return u - v;
    case 2: return u * v;
    case 3: return z == 0 ? 0u : z == -1 ? 0u - u : (uint32_t)(x / z);
    case 4: return (uint32_t)ipow(x, z);
    case 5: return (uint32_t)min(x, z);
    default: return (uint32_t)max(x, z);
  }
}

__global__ void binary_int(BinaryParams p, const word* a, const word* b, word* y) {
  uint32_t i, ia, ib;
  if (!item(p.n, i)) return;
  operands(p, i, ia, ib);
  y[i] = arith_int(p.op, a[ia], b[ib]);
}

// 7 equal, 8 less, 9 greater, 10 less-or-equal, 11 greater-or-equal, as the
// WGSL: each relation computed, so a NaN operand makes every result false.
__device__ inline bool order(uint32_t op, bool lt, bool eq, bool gt) {
  switch (op) {
    case 7: return eq;
    case 8: return lt;
    case 9: return gt;
    case 10: return lt || eq;
    default: return gt || eq;
  }
}

__global__ void compare(BinaryParams p, const word* a, const word* b, word* y) {
  uint32_t i, ia, ib;
  if (!item(p.n, i)) return;
  operands(p, i, ia, ib);
  uint32_t u = a[ia], v = b[ib];
  bool r;
  if (p.op >= 12) {
    bool l = u != 0, m = v != 0;
    r = p.op == 12 ? (l && m) : p.op == 13 ? (l || m) : (l != m);
  } else if (p.isInt != 0) {
    r = order(p.op, (int32_t)u < (int32_t)v, u == v, (int32_t)u > (int32_t)v);
  } else {
    float x = __uint_as_float(u), z = __uint_as_float(v);
    r = order(p.op, x < z, x == z, x > z);
  }
  y[i] = r ? 1u : 0u;
}

// y = cond ? x : z over three broadcast operands (rank 0: every index is 0).
// Only the chosen operand is read (WGSL reads both; no value differs).
__global__ void where(WhereParams p, const word* c, const word* x, const word* z, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  uint32_t ic = 0, ix = 0, iz = 0;
  coordinates(p.dims, p.rank, i, [&](int d, uint32_t k) {
    ic += k * p.sc[d];
    ix += k * p.sx[d];
    iz += k * p.sz[d];
  });
  y[i] = c[ic] != 0 ? x[ix] : z[iz];
}

cudaError_t launch_binary(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(binary, raw, t, s, (const word*)b[0], (const word*)b[1], (word*)b[2]);
}
cudaError_t launch_binary_int(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(binary_int, raw, t, s, (const word*)b[0], (const word*)b[1], (word*)b[2]);
}
cudaError_t launch_compare(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(compare, raw, t, s, (const word*)b[0], (const word*)b[1], (word*)b[2]);
}
cudaError_t launch_where(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(where, raw, t, s, (const word*)b[0], (const word*)b[1], (const word*)b[2], (word*)b[3]);
}

}  // namespace tensor
}  // namespace handover
