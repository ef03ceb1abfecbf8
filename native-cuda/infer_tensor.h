// The tensor family of inference kernels (src/infer/ops): Params structs
// mirroring each WGSL `struct Params` word for word, the shared launcher and
// index helpers, and the kernels and launchers that infer_binary.cu,
// infer_unary.cu and infer_tensor.cu define; infer_tensor.cu puts them in the
// kernel table. Every buffer is an array of 4-byte words as in the WGSL
// (f32, i32 for int32 and int64, u32 0/1 for bool): values travel as bits.
#pragma once
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace handover {
namespace tensor {

// binary, binary_int, compare (compare's bInt/_b are _a/_b): 32 words.
struct BinaryParams {
  uint32_t n, op, isInt, rank;
  uint32_t dims[8], sa[8], sb[8];
  uint32_t na, nb, bInt, _b;
};
struct WhereParams { uint32_t n, rank, _a, _b; uint32_t dims[8], sc[8], sx[8], sz[8]; };
// unary, unary_int, unary_math, erf.
struct UnaryParams { uint32_t n, op; float alpha, beta; };
struct CastParams { uint32_t n, src, dst, _a; };
struct GatherParams { uint32_t n, axisLen, nIdx, inner; };
struct PadParams { uint32_t n, rank, mode, value; uint32_t od[8], xd[8]; int32_t begin[8]; };
struct StridedCopyParams { uint32_t n, rank, xOff, yOff; uint32_t dims[8]; int32_t xs[8]; uint32_t ys[8]; };
struct TriluParams { uint32_t n, rows, cols, upper; int32_t k; uint32_t _a, _b, _c; };

static_assert(sizeof(BinaryParams) == 128 && sizeof(WhereParams) == 144, "binary 32, where 36 words");
static_assert(sizeof(UnaryParams) == 16 && sizeof(CastParams) == 16 && sizeof(GatherParams) == 16, "4 words");
static_assert(sizeof(PadParams) == 112 && sizeof(StridedCopyParams) == 112, "pad, strided_copy 28 words");
static_assert(sizeof(TriluParams) == 32, "trilu 8 words");

// Dims per operand in the Params (WGSL array<vec4u, 2>). Loops over them run
// from kMaxRank - 1 down, unrolled and skipping d >= rank, so the Params
// arrays are indexed by constants (no copy to local memory).
constexpr int kMaxRank = 8;

// The WGSL workgroup: @workgroup_size(256), one invocation per item.
constexpr unsigned kBlock = 256;

// Item i of a 1-D launch, false past n (WGSL: `if (i >= p.n) { return; }`).
// The grid is 1-D with up to 2^24 blocks (threads <= 2^32), so no item is
// beyond reach and the 64-bit sum cannot wrap.
__device__ inline bool item(uint32_t n, uint32_t& i) {
  unsigned long long g = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
  i = (uint32_t)g;
  return g < n;
}

// Calls at(d, k) for each dim d < rank, innermost first, with k the
// coordinate of item i along d (the WGSL's `rem % dim; rem / dim` walk).
template <typename At>
__device__ inline void coordinates(const uint32_t (&dims)[kMaxRank], uint32_t rank, uint32_t i, At at) {
  uint32_t rem = i;
#pragma unroll
  for (int d = kMaxRank - 1; d >= 0; d--) {
    if (d >= (int)rank) continue;
    uint32_t k = rem % dims[d];
    rem = rem / dims[d];
    at(d, k);
  }
}

template <class T> struct same { using type = T; };

// Launches kernel over threads[0] items (ceil(threads / 256) blocks, as the
// WebGPU backend's workgroups) with the params copied out of the raw bytes;
// nothing for zero items. threads[1] and [2] are 1 for these kernels.
template <typename P, typename... A>
inline cudaError_t launch_items(void (*kernel)(P, A...), const void* raw, const unsigned* t, cudaStream_t s,
                                typename same<A>::type... args) {
  unsigned long long blocks = ((unsigned long long)t[0] + kBlock - 1) / kBlock;
  if (blocks == 0) return cudaSuccess;
  P p;
  std::memcpy(&p, raw, sizeof p);
  kernel<<<(unsigned)blocks, kBlock, 0, s>>>(p, args...);
  return cudaGetLastError();
}

typedef uint32_t word;

// Kernels (for cudaFuncGetAttributes) and their launchers.
__global__ void binary(BinaryParams p, const word* a, const word* b, word* y);
__global__ void binary_int(BinaryParams p, const word* a, const word* b, word* y);
__global__ void compare(BinaryParams p, const word* a, const word* b, word* y);
__global__ void where(WhereParams p, const word* c, const word* x, const word* z, word* y);
__global__ void unary(UnaryParams p, const word* x, word* y);
__global__ void unary_int(UnaryParams p, const word* x, word* y);
__global__ void unary_math(UnaryParams p, const word* x, word* y);
__global__ void erf_gelu(UnaryParams p, const word* x, word* y);
__global__ void cast(CastParams p, const word* x, word* y);
__global__ void gather(GatherParams p, const word* x, const int32_t* idx, word* y);
__global__ void pad(PadParams p, const word* x, word* y);
__global__ void strided_copy(StridedCopyParams p, const word* x, word* y);
__global__ void trilu(TriluParams p, const word* x, word* y);

#define HANDOVER_TENSOR_LAUNCHER(name) \
  cudaError_t launch_##name(void* const* b, const void* raw, const unsigned* t, cudaStream_t s);
HANDOVER_TENSOR_LAUNCHER(binary)
HANDOVER_TENSOR_LAUNCHER(binary_int)
HANDOVER_TENSOR_LAUNCHER(compare)
HANDOVER_TENSOR_LAUNCHER(where)
HANDOVER_TENSOR_LAUNCHER(unary)
HANDOVER_TENSOR_LAUNCHER(unary_int)
HANDOVER_TENSOR_LAUNCHER(unary_math)
HANDOVER_TENSOR_LAUNCHER(erf)
HANDOVER_TENSOR_LAUNCHER(cast)
HANDOVER_TENSOR_LAUNCHER(gather)
HANDOVER_TENSOR_LAUNCHER(pad)
HANDOVER_TENSOR_LAUNCHER(strided_copy)
HANDOVER_TENSOR_LAUNCHER(trilu)
#undef HANDOVER_TENSOR_LAUNCHER

}  // namespace tensor
}  // namespace handover
