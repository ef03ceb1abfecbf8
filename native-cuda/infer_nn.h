// The nn family of inference kernels (src/infer/ops): Params structs mirroring
// each WGSL `struct Params` word for word, the launchers (infer_gemm.cu,
// infer_conv.cu, infer_norm.cu) and their __global__ functions, which
// infer_nn.cu puts in the kernel table.
#pragma once
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace handover {
namespace nn {

// conv2d, conv2d_direct, conv_transpose2d (lo/hi are _b/_c in conv_transpose2d).
struct ConvParams {
  uint32_t n, cin, h, w;
  uint32_t cout, oh, ow, groups;
  uint32_t kh, kw, sh, sw;
  uint32_t ph, pw, dh, dw;
  uint32_t hasBias, total;
  float lo, hi;
};
struct PoolParams {
  uint32_t planes, h, w, oh;
  uint32_t ow, kh, kw, sh;
  uint32_t sw, ph, pw, dh;
  uint32_t dw, mode, countPad, total;
  uint32_t phEnd, pwEnd, _a, _b;
};
struct BatchNormParams { uint32_t n, c, spatial; float eps; };
struct InstanceNormParams { uint32_t planes, c, spatial; float eps; };
struct LayerNormParams { uint32_t rows, len; float eps; uint32_t hasBias, scaleLen, biasLen, _a, _b; };
struct SoftmaxParams { uint32_t rows, len, inner, log; };
struct ReduceParams {
  uint32_t n, count, keptRank, redRank;
  uint32_t op, contiguous, _b, _c;
  uint32_t od[8], os[8], rd[8], rs[8];
};
struct BatchedMatmulParams { uint32_t m, n, k, rank; uint32_t dims[4], sa[4], sb[4]; };

static_assert(sizeof(ConvParams) == 80 && sizeof(PoolParams) == 80, "conv/pool Params are 20 words");
static_assert(sizeof(LayerNormParams) == 32 && sizeof(ReduceParams) == 160, "layer_norm 8, reduce 40 words");
static_assert(sizeof(BatchedMatmulParams) == 64, "batched_matmul Params are 16 words");

template <typename P>
inline P params(const void* raw) {
  P p;
  std::memcpy(&p, raw, sizeof p);
  return p;
}

// -FLT_MAX, the WGSL kernels' "-inf" start for max.
constexpr float kLowest = -3.4028234663852886e38f;
constexpr float kHighest = 3.4028234663852886e38f;

// WGSL clamp(v, lo, hi) = min(max(v, lo), hi).
__device__ inline float clampf(float v, float lo, float hi) { return fminf(fmaxf(v, lo), hi); }

__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Launchers (Launcher signature) and kernel functions for cudaFuncGetAttributes.
#define HANDOVER_NN_KERNEL(name)                                                            \
  cudaError_t launch_##name(void* const* b, const void* raw, const unsigned* t, cudaStream_t s); \
  extern const void* const func_##name;
HANDOVER_NN_KERNEL(conv2d)
HANDOVER_NN_KERNEL(conv2d_direct)
HANDOVER_NN_KERNEL(conv_transpose2d)
HANDOVER_NN_KERNEL(pool2d)
HANDOVER_NN_KERNEL(batch_norm)
HANDOVER_NN_KERNEL(instance_norm)
HANDOVER_NN_KERNEL(layer_norm)
HANDOVER_NN_KERNEL(softmax)
HANDOVER_NN_KERNEL(reduce)
HANDOVER_NN_KERNEL(batched_matmul)
#undef HANDOVER_NN_KERNEL

}  // namespace nn
}  // namespace handover
