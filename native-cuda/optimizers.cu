// Model-update kernels with torch.optim's semantics: sgd_momentum and adam.
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace handover {
namespace kernels {

struct SgdMomentumParams { uint32_t n, first; float lr, mu, wd; uint32_t _a, _b, _c; };
struct AdamParams { uint32_t n, _a; float lr, b1, b2, eps, bc1, bc2, wd; uint32_t _b, _c, _d; };

__global__ void sgd_momentum(SgdMomentumParams p, float* w, const float* grad, float* vel) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= p.n) return;
  float g = grad[i] + p.wd * w[i];
  float v = p.first ? g : p.mu * vel[i] + g;
  vel[i] = v;
  w[i] = w[i] - p.lr * v;
}

__global__ void adam(AdamParams p, float* w, const float* grad, float* m1, float* m2) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= p.n) return;
  float g = grad[i] + p.wd * w[i];
  float m = p.b1 * m1[i] + (1.0f - p.b1) * g;
  float v = p.b2 * m2[i] + (1.0f - p.b2) * g * g;
  m1[i] = m;
  m2[i] = v;
  w[i] = w[i] - p.lr * (m / p.bc1) / (sqrtf(v / p.bc2) + p.eps);
}

static cudaError_t launch_sgd_momentum(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  SgdMomentumParams p;
  std::memcpy(&p, raw, sizeof p);
  LAUNCH_1D(sgd_momentum, t[0], 256, s, p, (float*)b[0], (const float*)b[1], (float*)b[2]);
}
static cudaError_t launch_adam(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  AdamParams p;
  std::memcpy(&p, raw, sizeof p);
  LAUNCH_1D(adam, t[0], 256, s, p, (float*)b[0], (const float*)b[1], (float*)b[2], (float*)b[3]);
}

}  // namespace kernels

const KernelEntry optimizer_kernels[] = {
    {"sgd_momentum", 3, sizeof(kernels::SgdMomentumParams), kernels::launch_sgd_momentum,
     (const void*)kernels::sgd_momentum},
    {"adam", 4, sizeof(kernels::AdamParams), kernels::launch_adam, (const void*)kernels::adam},
};
const int optimizer_count = 2;

}  // namespace handover
