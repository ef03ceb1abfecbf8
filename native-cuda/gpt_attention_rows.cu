// The first CUDA attention (the benchmark's baseline for gpt_attention.cu's
// tiled kernels), registered as attention_*_rows with the same bindings and
// Params when HANDOVER_ATTENTION_BASELINE=1. The arithmetic of
// shaders/attention_*.wgsl: one thread per (query or key row, b * H + h), a
// 64-thread block along the rows. The threads of a warp share a head and walk
// the keys together, so their K/V loads are broadcasts. D = 64 (GPT-2's head)
// is compiled with the row vectors in registers; other D <= 128 run generic.
#include <cstdlib>
#include "gpt_attention.h"
#include "gpt_common.h"
#include "kernels.h"

namespace handover {
namespace kernels {
namespace {


// DT > 0: the head dimension at compile time (loops unrolled, arrays in
// registers); DT = 0: p.d at run time in local arrays of kMaxHeadDim.
#define HEAD_LOOP _Pragma("unroll") for (unsigned i = 0; i < D; i++)

template <unsigned DT>
__global__ void __launch_bounds__(64) attention_forward_k(AttentionParams p, const float* qkv, float* y, float* lse) {
  constexpr unsigned N = DT ? DT : kMaxHeadDim;
  const unsigned D = DT ? DT : p.d;
  unsigned t = blockIdx.x * 64 + threadIdx.x, bh = blockIdx.y;
  if (t >= p.t || bh >= p.b * p.h) return;
  size_t bi = bh / p.h, c = (size_t)p.h * D, head = (bh % p.h) * D;
  const float* qrow = qkv + (bi * p.t + t) * 3 * c + head;
  float q[N], acc[N];
  HEAD_LOOP {
    q[i] = qrow[i] * p.scale;
    acc[i] = 0.0f;
  }
  float m = -3.402823e38f, l = 0.0f;
  for (unsigned s = 0; s <= t; s++) {
    const float* k = qkv + (bi * p.t + s) * 3 * c + c + head;
    float dot = 0.0f;
    HEAD_LOOP dot += q[i] * k[i];
    float mNew = fmaxf(m, dot), corr = expf(m - mNew), e = expf(dot - mNew);
    l = l * corr + e;
    HEAD_LOOP acc[i] = acc[i] * corr + e * k[c + i];
    m = mNew;
  }
  float* yrow = y + (bi * p.t + t) * c + head;
  HEAD_LOOP yrow[i] = acc[i] / l;
  lse[(size_t)bh * p.t + t] = m + logf(l);
}

template <unsigned DT>
__global__ void __launch_bounds__(64) attention_backward_dq_k(AttentionParams p, const float* qkv, const float* y,
                                                              const float* dy, const float* lse, float* dqkv, float* delta) {
  constexpr unsigned N = DT ? DT : kMaxHeadDim;
  const unsigned D = DT ? DT : p.d;
  unsigned t = blockIdx.x * 64 + threadIdx.x, bh = blockIdx.y;
  if (t >= p.t || bh >= p.b * p.h) return;
  size_t bi = bh / p.h, c = (size_t)p.h * D, head = (bh % p.h) * D;
  size_t qOff = (bi * p.t + t) * 3 * c + head, yOff = (bi * p.t + t) * c + head;
  float q[N], g[N], dq[N];
  float dl = 0.0f;
  HEAD_LOOP {
    q[i] = qkv[qOff + i] * p.scale;
    g[i] = dy[yOff + i];
    dq[i] = 0.0f;
    dl += g[i] * y[yOff + i];
  }
  float z = lse[(size_t)bh * p.t + t];
  for (unsigned s = 0; s <= t; s++) {
    const float* k = qkv + (bi * p.t + s) * 3 * c + c + head;
    float dot = 0.0f, dp = 0.0f;
    HEAD_LOOP {
      dot += q[i] * k[i];
      dp += g[i] * k[c + i];
    }
    float ds = expf(dot - z) * (dp - dl);
    HEAD_LOOP dq[i] += ds * k[i];
  }
  HEAD_LOOP dqkv[qOff + i] = dq[i] * p.scale;
  delta[(size_t)bh * p.t + t] = dl;
}

template <unsigned DT>
__global__ void __launch_bounds__(64) attention_backward_dkv_k(AttentionParams p, const float* qkv, const float* dy,
                                                               const float* lse, const float* delta, float* dqkv) {
  constexpr unsigned N = DT ? DT : kMaxHeadDim;
  const unsigned D = DT ? DT : p.d;
  unsigned s = blockIdx.x * 64 + threadIdx.x, bh = blockIdx.y;
  if (s >= p.t || bh >= p.b * p.h) return;
  size_t bi = bh / p.h, c = (size_t)p.h * D, head = (bh % p.h) * D;
  size_t kOff = (bi * p.t + s) * 3 * c + c + head;
  float k[N], v[N], dk[N], dv[N];
  HEAD_LOOP {
    k[i] = qkv[kOff + i];
    v[i] = qkv[kOff + c + i];
    dk[i] = 0.0f;
    dv[i] = 0.0f;
  }
  for (unsigned t = s; t < p.t; t++) {
    const float* q = qkv + (bi * p.t + t) * 3 * c + head;
    const float* g = dy + (bi * p.t + t) * c + head;
    float dot = 0.0f, dp = 0.0f;
    HEAD_LOOP {
      dot += (q[i] * p.scale) * k[i];
      dp += g[i] * v[i];
    }
    float pr = expf(dot - lse[(size_t)bh * p.t + t]);
    float ds = pr * (dp - delta[(size_t)bh * p.t + t]);
    HEAD_LOOP {
      dv[i] += pr * g[i];
      dk[i] += ds * q[i];
    }
  }
  HEAD_LOOP {
    dqkv[kOff + i] = dk[i] * p.scale;
    dqkv[kOff + c + i] = dv[i];
  }
}
#undef HEAD_LOOP

// The table's `func` (for prepare): the generic instantiations.
static const void* const attention_forward = (const void*)attention_forward_k<0>;
static const void* const attention_backward_dq = (const void*)attention_backward_dq_k<0>;
static const void* const attention_backward_dkv = (const void*)attention_backward_dkv_k<0>;

// threads = [T, B * H] as the WGSL dispatch: blocks of 64 rows, one grid row per (b, h).
static bool attention_grid(const unsigned* t, const AttentionParams& p, dim3& g) {
  g = dim3(groups(t[0], 64), t[1] ? t[1] : 1);
  return g.x > 0 && p.d > 0 && p.d <= kMaxHeadDim;
}
#define LAUNCH_ATTENTION(kernel, ...)                                          \
  do {                                                                         \
    AttentionParams p = params_of<AttentionParams>(raw);                       \
    dim3 g;                                                                    \
    if (!attention_grid(t, p, g)) return p.d > kMaxHeadDim ? cudaErrorInvalidValue : cudaSuccess; \
    if (p.d == 64) kernel<64><<<g, 64, 0, s>>>(p, __VA_ARGS__);                \
    else kernel<0><<<g, 64, 0, s>>>(p, __VA_ARGS__);                           \
    return cudaGetLastError();                                                 \
  } while (0)

static cudaError_t launch_attention_forward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_ATTENTION(attention_forward_k, GPT_CF(0), GPT_F(1), GPT_F(2));
}
static cudaError_t launch_attention_backward_dq(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_ATTENTION(attention_backward_dq_k, GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_CF(3), GPT_F(4), GPT_F(5));
}
static cudaError_t launch_attention_backward_dkv(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_ATTENTION(attention_backward_dkv_k, GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_CF(3), GPT_F(4));
}
#undef LAUNCH_ATTENTION

}  // namespace
}  // namespace kernels

const KernelEntry gpt_attention_rows_kernels[] = {
    {"attention_forward_rows", 3, sizeof(kernels::AttentionParams), kernels::launch_attention_forward, kernels::attention_forward},
    {"attention_backward_dq_rows", 6, sizeof(kernels::AttentionParams), kernels::launch_attention_backward_dq,
     kernels::attention_backward_dq},
    {"attention_backward_dkv_rows", 5, sizeof(kernels::AttentionParams), kernels::launch_attention_backward_dkv,
     kernels::attention_backward_dkv},
};
// Only with HANDOVER_ATTENTION_BASELINE=1 in the environment when the addon
// loads (they have no WGSL twin, so the kernel table leaves them out otherwise).
const int gpt_attention_rows_count =
    std::getenv("HANDOVER_ATTENTION_BASELINE") ? sizeof(gpt_attention_rows_kernels) / sizeof(gpt_attention_rows_kernels[0]) : 0;

}  // namespace handover
