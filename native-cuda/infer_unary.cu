// The elementwise unary kernels, as shaders/{unary,unary_int,unary_math,erf,cast}.wgsl:
// y[i] = f(x[i]) with the op code in p.op; values as bits.
#include <cuda_fp16.h>

#include "infer_tensor.h"

namespace handover {
namespace tensor {

// WGSL clamp(v, lo, hi) = min(max(v, lo), hi); min/max pass over a NaN operand.
__device__ inline float clampf(float v, float lo, float hi) { return fminf(fmaxf(v, lo), hi); }

// 0 relu, 1 leaky relu, 2 clip, 3 hard sigmoid, 4 hard swish, 5 neg, 6 abs,
// 7 reciprocal, 8 floor, 9 ceil, else identity.
__device__ inline float cheap(const UnaryParams& p, float v) {
  switch (p.op) {
    case 0: return fmaxf(v, 0.0f);
    case 1: return v >= 0.0f ? v : v * p.alpha;
    case 2: return fminf(fmaxf(v, p.alpha), p.beta);
    case 3: return clampf(p.alpha * v + p.beta, 0.0f, 1.0f);
    case 4: return v * clampf(v / 6.0f + 0.5f, 0.0f, 1.0f);
    case 5: return -v;
    case 6: return fabsf(v);
    case 7: return 1.0f / v;
    case 8: return floorf(v);
    case 9: return ceilf(v);
    default: return v;
  }
}

__global__ void unary(UnaryParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  y[i] = __float_as_uint(cheap(p, __uint_as_float(x[i])));
}

// i32 (int32, int64 held as i32) and bool: 0 neg, 1 abs (both wrap: INT_MIN
// stays), 2 clip to [i32(alpha), i32(beta)] (saturating conversion), 3 not.
__global__ void unary_int(UnaryParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  uint32_t u = x[i];
  int32_t v = (int32_t)u;
  switch (p.op) {
    case 0: y[i] = 0u - u; break;
    case 1: y[i] = v < 0 ? 0u - u : u; break;
    case 2: y[i] = (uint32_t)min(max(v, __float2int_rz(p.alpha)), __float2int_rz(p.beta)); break;
    default: y[i] = u != 0 ? 0u : 1u;
  }
}

// 0 sigmoid, 1 tanh, 2 exp, 3 log, 4 sqrt, 5 elu(alpha), else gelu (tanh form).
__device__ inline float transcendental(const UnaryParams& p, float v) {
  switch (p.op) {
    case 0: return 1.0f / (1.0f + expf(-v));
    case 1: return tanhf(clampf(v, -15.0f, 15.0f));
    case 2: return expf(v);
    case 3: return logf(v);
    case 4: return sqrtf(v);
    case 5: return v >= 0.0f ? v : p.alpha * (expf(v) - 1.0f);
    default: {
      float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
      return 0.5f * v * (1.0f + tanhf(clampf(u, -15.0f, 15.0f)));
    }
  }
}

__global__ void unary_math(UnaryParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  y[i] = __float_as_uint(transcendental(p, __uint_as_float(x[i])));
}

// erf as the WGSL computes it (not CUDA's erff): a 9-term Maclaurin series
// below |x| = 0.5, 1 - erfc from the Chebyshev fit above; |error| < 1.2e-7.
__device__ inline float erf_small(float v) {
  float t = v * v, s = 0.0f, term = v;
  for (uint32_t k = 0; k < 9; k++) {
    s += term / (float)(2 * k + 1);
    term = -term * t / (float)(k + 1);
  }
  return 1.1283791670955126f * s;
}

__device__ inline float erfc_large(float a) {
  if (a > 9.0f) return 0.0f;
  float t = 1.0f / (1.0f + 0.5f * a);
  return t * expf(-a * a - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
         t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
         t * (-0.82215223f + t * 0.17087277f)))))))));
}

// WGSL sign: 1, -1 or 0.
__device__ inline float signf(float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f; }

__device__ inline float erf_wgsl(float v) {
  float a = fabsf(v);
  if (a < 0.5f) return erf_small(v);
  return signf(v) * (1.0f - erfc_large(a));
}

// op 0 erf, else gelu = x/2 (1 + erf(x / sqrt 2)).
__global__ void erf_gelu(UnaryParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  float v = __uint_as_float(x[i]);
  float r = p.op == 0 ? erf_wgsl(v) : 0.5f * v * (1.0f + erf_wgsl(v * 0.70710678118654752f));
  y[i] = __float_as_uint(r);
}

// cast between the 4-byte types 0 f32, 1 i32, 2 bool (u32 0/1), 3 u32,
// 4 float16 (held as f32; a cast to it rounds to the nearest float16), as
// shaders/cast.wgsl: f32 -> i32 truncates toward zero (saturating); f32 -> u32
// truncates, a negative value wraps as its i32 does; integer casts keep the
// bits (wrap modulo 2^32); anything -> bool is (x != 0).
__device__ inline float to_half(float v) { return __half2float(__float2half_rn(v)); }

__global__ void cast(CastParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  uint32_t b = x[i];
  bool fromFloat = p.src == 0 || p.src == 4;
  float v = fromFloat ? __uint_as_float(b) : p.src == 1 ? (float)(int32_t)b : (float)b;
  if (p.dst == 0) y[i] = __float_as_uint(v);
  else if (p.dst == 4) y[i] = __float_as_uint(to_half(v));
  else if (p.dst == 1) y[i] = fromFloat ? (uint32_t)__float2int_rz(v) : b;
  else if (p.dst == 3) y[i] = !fromFloat ? b : v >= 0.0f ? __float2uint_rz(v) : (uint32_t)__float2int_rz(v);
  else y[i] = v != 0.0f ? 1u : 0u;
}

cudaError_t launch_unary(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(unary, raw, t, s, (const word*)b[0], (word*)b[1]);
}
cudaError_t launch_unary_int(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(unary_int, raw, t, s, (const word*)b[0], (word*)b[1]);
}
cudaError_t launch_unary_math(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(unary_math, raw, t, s, (const word*)b[0], (word*)b[1]);
}
cudaError_t launch_erf(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(erf_gelu, raw, t, s, (const word*)b[0], (word*)b[1]);
}
cudaError_t launch_cast(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(cast, raw, t, s, (const word*)b[0], (word*)b[1]);
}

}  // namespace tensor
}  // namespace handover
