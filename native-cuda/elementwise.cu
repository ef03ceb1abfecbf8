// One-element-per-thread kernels: fill, bias_add, relu, relu_backward, axpy, copy.
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace handover {
namespace kernels {

struct FillParams { uint32_t n, value, _a, _b; };
struct BiasAddParams { uint32_t m, n, _a, _b; };
struct ReluParams { uint32_t n, _a, _b, _c; };
struct AxpyParams { uint32_t n; float alpha; uint32_t _a, _b; };
struct CopyParams { uint32_t src, dst, n, _a; };

__device__ inline size_t gid() { return (size_t)blockIdx.x * blockDim.x + threadIdx.x; }

__global__ void fill(FillParams p, uint32_t* y) {
  size_t i = gid();
  if (i < p.n) y[i] = p.value;
}

__global__ void bias_add(BiasAddParams p, float* y, const float* bias) {
  size_t i = gid();
  if (i < (size_t)p.m * p.n) y[i] += bias[i % p.n];
}

__global__ void relu(ReluParams p, const float* x, float* y) {
  size_t i = gid();
  if (i < p.n) y[i] = fmaxf(x[i], 0.0f);
}

__global__ void relu_backward(ReluParams p, const float* x, const float* dy, float* dx) {
  size_t i = gid();
  if (i < p.n) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

__global__ void axpy(AxpyParams p, const float* x, float* y) {
  size_t i = gid();
  if (i < p.n) y[i] = y[i] + p.alpha * x[i];
}

__global__ void copy(CopyParams p, uint32_t* mem) {
  size_t i = gid();
  if (i < p.n) mem[(size_t)p.dst + i] = mem[(size_t)p.src + i];
}

template <typename P>
static P params(const void* raw) {
  P p;
  std::memcpy(&p, raw, sizeof p);
  return p;
}

static cudaError_t launch_fill(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(fill, t[0], 256, s, params<FillParams>(raw), (uint32_t*)b[0]);
}
static cudaError_t launch_bias_add(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(bias_add, t[0], 256, s, params<BiasAddParams>(raw), (float*)b[0], (const float*)b[1]);
}
static cudaError_t launch_relu(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(relu, t[0], 256, s, params<ReluParams>(raw), (const float*)b[0], (float*)b[1]);
}
static cudaError_t launch_relu_backward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(relu_backward, t[0], 256, s, params<ReluParams>(raw), (const float*)b[0], (const float*)b[1],
            (float*)b[2]);
}
static cudaError_t launch_axpy(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(axpy, t[0], 256, s, params<AxpyParams>(raw), (const float*)b[0], (float*)b[1]);
}
static cudaError_t launch_copy(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(copy, t[0], 256, s, params<CopyParams>(raw), (uint32_t*)b[0]);
}

}  // namespace kernels

const KernelEntry elementwise_kernels[] = {
    {"fill", 1, sizeof(kernels::FillParams), kernels::launch_fill, (const void*)kernels::fill},
    {"bias_add", 2, sizeof(kernels::BiasAddParams), kernels::launch_bias_add, (const void*)kernels::bias_add},
    {"relu", 2, sizeof(kernels::ReluParams), kernels::launch_relu, (const void*)kernels::relu},
    {"relu_backward", 3, sizeof(kernels::ReluParams), kernels::launch_relu_backward,
     (const void*)kernels::relu_backward},
    {"axpy", 2, sizeof(kernels::AxpyParams), kernels::launch_axpy, (const void*)kernels::axpy},
    {"copy", 1, sizeof(kernels::CopyParams), kernels::launch_copy, (const void*)kernels::copy},
};
const int elementwise_count = sizeof(elementwise_kernels) / sizeof(elementwise_kernels[0]);

}  // namespace handover
