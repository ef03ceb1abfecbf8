// GPT training kernels, loss family: cross_entropy_forward (one 256-thread
// block per row, one pass), its in-place backward, and sum_scaled. Same names,
// Params and arithmetic as shaders/cross_entropy_*.wgsl and sum_scaled.wgsl.
#include "gpt_common.h"
#include "kernels.h"

namespace handover {
namespace kernels {

struct CrossEntropyForwardParams { uint32_t n, v, _a, _b; };
struct CrossEntropyBackwardParams { uint32_t n, v; float scale; uint32_t _a; };
struct SumScaledParams { uint32_t n; float alpha; uint32_t _a, _b; };

constexpr uint32_t kIgnore = 0xffffffffu;

__device__ inline float2 lse_combine(float2 a, float2 b) {
  float m = fmaxf(a.x, b.x);
  return make_float2(m, a.y * expf(a.x - m) + b.y * expf(b.x - m));
}

__global__ void cross_entropy_forward(CrossEntropyForwardParams p, const float* logits, const uint32_t* targets,
                                      float* loss, float* lse) {
  __shared__ float2 red[256];
  __shared__ uint32_t bad[256];
  unsigned r = blockIdx.x, l = threadIdx.x;
  if (r >= p.n) return;
  size_t base = (size_t)r * p.v;
  float2 acc = make_float2(-3.402823e38f, 0.0f);
  uint32_t b = 0;
  for (unsigned j = l; j < p.v; j += 256) {
    float x = logits[base + j];
    if (is_nan_or_pos_inf(x)) b = 1;
    else acc = lse_combine(acc, make_float2(x, 1.0f));
  }
  red[l] = acc;
  bad[l] = b;
  __syncthreads();
  for (unsigned s = 128; s > 0; s >>= 1) {
    if (l < s) {
      red[l] = lse_combine(red[l], red[l + s]);
      bad[l] |= bad[l + s];
    }
    __syncthreads();
  }
  if (l == 0) {
    float z = red[0].x + logf(red[0].y);
    if (bad[0]) z = runtime_nan(r);
    lse[r] = z;
    uint32_t t = targets[r];
    float out = 0.0f;
    if (t != kIgnore) {
      out = z - logits[base + min(t, p.v - 1)];
      if (t >= p.v || bad[0]) out = runtime_nan(t);
    }
    loss[r] = out;
  }
}

__global__ void cross_entropy_backward(CrossEntropyBackwardParams p, float* logits, const uint32_t* targets,
                                       const float* lse) {
  size_t i = gidx();
  if (i >= (size_t)p.n * p.v) return;
  size_t r = i / p.v, j = i % p.v;
  uint32_t t = targets[r];
  logits[i] = t == kIgnore ? 0.0f : p.scale * (expf(logits[i] - lse[r]) - (t == j ? 1.0f : 0.0f));
}

__global__ void sum_scaled(SumScaledParams p, const float* x, float* out) {
  __shared__ float red[256];
  unsigned l = threadIdx.x;
  float s = 0.0f;
  for (unsigned i = l; i < p.n; i += 256) s += x[i];
  float total = block_sum<256>(red, l, s);
  if (l == 0) out[0] = p.alpha * total;
}

static cudaError_t launch_cross_entropy_forward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(cross_entropy_forward, t[0], 256, s, params_of<CrossEntropyForwardParams>(raw), GPT_CF(0), GPT_CU(1), GPT_F(2), GPT_F(3));
}
static cudaError_t launch_cross_entropy_backward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(cross_entropy_backward, t[0], 256, s, params_of<CrossEntropyBackwardParams>(raw), GPT_F(0), GPT_CU(1), GPT_CF(2));
}
static cudaError_t launch_sum_scaled(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(sum_scaled, t[0], 256, s, params_of<SumScaledParams>(raw), GPT_CF(0), GPT_F(1));
}

}  // namespace kernels

const KernelEntry gpt_loss_kernels[] = {
    GPT_ENTRY(cross_entropy_forward, 4, CrossEntropyForwardParams),
    GPT_ENTRY(cross_entropy_backward, 3, CrossEntropyBackwardParams),
    GPT_ENTRY(sum_scaled, 2, SumScaledParams),
};
const int gpt_loss_count = sizeof(gpt_loss_kernels) / sizeof(gpt_loss_kernels[0]);

}  // namespace handover
