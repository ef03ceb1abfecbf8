// softmax_xent (one 64-thread block per row, as the WGSL workgroup) and its backward.
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace handover {
namespace kernels {

struct SoftmaxXentParams { uint32_t m, c, row0, _b; };  // rows from row0: a launch can be cut into row slices
struct SoftmaxXentBackwardParams { uint32_t m, c; float scale; uint32_t _a; };

__global__ void softmax_xent(SoftmaxXentParams p, const float* logits, const uint32_t* labels, float* probs,
                             float* loss) {
  __shared__ float red[64];
  unsigned r = p.row0 + blockIdx.x, l = threadIdx.x;
  if (r >= p.m) return;
  size_t base = (size_t)r * p.c;
  float mx = -3.402823e38f;
  for (unsigned j = l; j < p.c; j += 64) mx = fmaxf(mx, logits[base + j]);
  red[l] = mx;
  __syncthreads();
  for (unsigned s = 32; s > 0; s >>= 1) {
    if (l < s) red[l] = fmaxf(red[l], red[l + s]);
    __syncthreads();
  }
  mx = red[0];
  __syncthreads();
  float sum = 0.0f;
  for (unsigned j = l; j < p.c; j += 64) sum += expf(logits[base + j] - mx);
  red[l] = sum;
  __syncthreads();
  for (unsigned s = 32; s > 0; s >>= 1) {
    if (l < s) red[l] += red[l + s];
    __syncthreads();
  }
  sum = red[0];
  for (unsigned j = l; j < p.c; j += 64) probs[base + j] = expf(logits[base + j] - mx) / sum;
  if (l == 0) {
    unsigned t = min(labels[r], p.c - 1);
    loss[r] = logf(sum) - (logits[base + t] - mx);
  }
}

__global__ void softmax_xent_backward(SoftmaxXentBackwardParams p, const float* probs, const uint32_t* labels,
                                      float* dlogits) {
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (size_t)p.m * p.c) return;
  size_t r = i / p.c, j = i % p.c;
  dlogits[i] = p.scale * (probs[i] - (labels[r] == j ? 1.0f : 0.0f));
}

static cudaError_t launch_softmax_xent(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  SoftmaxXentParams p;
  std::memcpy(&p, raw, sizeof p);
  LAUNCH_1D(softmax_xent, t[0], 64, s, p, (const float*)b[0], (const uint32_t*)b[1], (float*)b[2], (float*)b[3]);
}
static cudaError_t launch_softmax_xent_backward(void* const* b, const void* raw, const unsigned* t,
                                                cudaStream_t s) {
  SoftmaxXentBackwardParams p;
  std::memcpy(&p, raw, sizeof p);
  LAUNCH_1D(softmax_xent_backward, t[0], 256, s, p, (const float*)b[0], (const uint32_t*)b[1], (float*)b[2]);
}

}  // namespace kernels

const KernelEntry softmax_xent_kernels[] = {
    {"softmax_xent", 4, sizeof(kernels::SoftmaxXentParams), kernels::launch_softmax_xent,
     (const void*)kernels::softmax_xent},
    {"softmax_xent_backward", 3, sizeof(kernels::SoftmaxXentBackwardParams), kernels::launch_softmax_xent_backward,
     (const void*)kernels::softmax_xent_backward},
};
const int softmax_xent_count = 2;

}  // namespace handover
