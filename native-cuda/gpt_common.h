// Helpers shared by the GPT training kernels (native-cuda/gpt_*.cu).
#pragma once
#include <cstdint>
#include <cstring>

namespace handover {
namespace kernels {

__device__ inline size_t gidx() { return (size_t)blockIdx.x * blockDim.x + threadIdx.x; }

// NaN or +inf by bit pattern, as shaders/include/float_bits.wgsl.
__device__ inline bool is_nan_bits(float x) { return (__float_as_uint(x) & 0x7fffffffu) > 0x7f800000u; }
__device__ inline bool is_nan_or_pos_inf(float x) { return is_nan_bits(x) || __float_as_uint(x) == 0x7f800000u; }
__device__ inline float runtime_nan(uint32_t payload) { return __uint_as_float(0x7fc00000u | (payload & 0xffffu)); }

// A WGSL workgroup's tree sum over N lanes, in the same order.
template <unsigned N, typename T>
__device__ T block_sum(T* red, unsigned l, T v) {
  red[l] = v;
  __syncthreads();
  for (unsigned s = N / 2; s > 0; s >>= 1) {
    if (l < s) red[l] = red[l] + red[l + s];
    __syncthreads();
  }
  T total = red[0];
  __syncthreads();
  return total;
}

template <typename P>
inline P params_of(const void* raw) {
  P p;
  std::memcpy(&p, raw, sizeof p);
  return p;
}

}  // namespace kernels
}  // namespace handover

#define GPT_F(i) ((float*)b[i])
#define GPT_CF(i) ((const float*)b[i])
#define GPT_CU(i) ((const uint32_t*)b[i])
#define GPT_ENTRY(name, nb, P) {#name, nb, sizeof(kernels::P), kernels::launch_##name, (const void*)kernels::name}
