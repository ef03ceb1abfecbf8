// GPT training kernels, update family: global-norm clipping (grad_sumsq,
// grad_clip_scale, grad_scale) and adamw. Same names, Params and arithmetic as
// shaders/grad_*.wgsl and adamw.wgsl; the clip coefficient never leaves the GPU.
#include "gpt_common.h"
#include "kernels.h"

namespace handover {
namespace kernels {

struct GradSumsqParams { uint32_t n, slot, groups, _a; };
struct GradClipScaleParams { uint32_t count; float maxNorm; uint32_t _a, _b; };
struct GradScaleParams { uint32_t n, _a, _b, _c; };
struct AdamwParams { uint32_t n, _a; float lr, b1, b2, eps, bc1, bc2, wd; uint32_t _b, _c, _d; };

__global__ void grad_sumsq(GradSumsqParams p, const float* g, float* partials) {
  __shared__ float red[256];
  unsigned l = threadIdx.x;
  float s = 0.0f;
  for (size_t i = (size_t)blockIdx.x * 256 + l; i < p.n; i += (size_t)p.groups * 256) s += g[i] * g[i];
  float total = block_sum<256>(red, l, s);
  if (l == 0) partials[p.slot + blockIdx.x] = total;
}

__global__ void grad_clip_scale(GradClipScaleParams p, const float* partials, float* clip) {
  __shared__ float red[256];
  unsigned l = threadIdx.x;
  float s = 0.0f;
  for (unsigned i = l; i < p.count; i += 256) s += partials[i];
  float total = block_sum<256>(red, l, s);
  if (l == 0) {
    float norm = sqrtf(total);
    float coef = 1.0f;
    if (p.maxNorm > 0.0f) coef = fminf(1.0f, p.maxNorm / (norm + 1e-6f));
    if (is_nan_bits(norm)) coef = norm;
    clip[0] = norm;
    clip[1] = coef;
  }
}

__global__ void grad_scale(GradScaleParams p, float* g, const float* clip) {
  size_t i = gidx();
  if (i >= p.n) return;
  g[i] = g[i] * clip[1];
}

__global__ void adamw(AdamwParams p, float* w, const float* grad, float* m1, float* m2, const float* clip) {
  size_t i = gidx();
  if (i >= p.n) return;
  float g = grad[i] * clip[1];
  float m = p.b1 * m1[i] + (1.0f - p.b1) * g;
  float v = p.b2 * m2[i] + (1.0f - p.b2) * g * g;
  m1[i] = m;
  m2[i] = v;
  w[i] = w[i] * (1.0f - p.lr * p.wd) - (p.lr / p.bc1) * m / (sqrtf(v) / sqrtf(p.bc2) + p.eps);
}

static cudaError_t launch_grad_sumsq(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(grad_sumsq, t[0], 256, s, params_of<GradSumsqParams>(raw), GPT_CF(0), GPT_F(1));
}
static cudaError_t launch_grad_clip_scale(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(grad_clip_scale, t[0], 256, s, params_of<GradClipScaleParams>(raw), GPT_CF(0), GPT_F(1));
}
static cudaError_t launch_grad_scale(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(grad_scale, t[0], 256, s, params_of<GradScaleParams>(raw), GPT_F(0), GPT_CF(1));
}
static cudaError_t launch_adamw(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(adamw, t[0], 256, s, params_of<AdamwParams>(raw), GPT_F(0), GPT_CF(1), GPT_F(2), GPT_F(3), GPT_CF(4));
}

}  // namespace kernels

const KernelEntry gpt_optim_kernels[] = {
    GPT_ENTRY(grad_sumsq, 2, GradSumsqParams),
    GPT_ENTRY(grad_clip_scale, 2, GradClipScaleParams),
    GPT_ENTRY(grad_scale, 2, GradScaleParams),
    GPT_ENTRY(adamw, 5, AdamwParams),
};
const int gpt_optim_count = sizeof(gpt_optim_kernels) / sizeof(gpt_optim_kernels[0]);

}  // namespace handover
