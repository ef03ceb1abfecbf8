// reduce_rows: out[j] = beta * out[j] + alpha * sum_r x[r, j]; 64 columns x 4
// row-lanes per block, as the WGSL workgroup (threads = [ceil(n/64)*64, 4]).
#include <cstdint>
#include <cstring>
#include "kernels.h"

namespace handover {
namespace kernels {

struct ReduceRowsParams { uint32_t m, n; float alpha, beta; };

__global__ void reduce_rows(ReduceRowsParams p, const float* x, float* out) {
  __shared__ float part[256];
  unsigned lx = threadIdx.x, ly = threadIdx.y;
  unsigned j = blockIdx.x * 64 + lx;
  float s = 0.0f;
  if (j < p.n)
    for (unsigned r = ly; r < p.m; r += 4) s += x[(size_t)r * p.n + j];
  part[ly * 64 + lx] = s;
  __syncthreads();
  if (ly == 0 && j < p.n) {
    float total = part[lx] + part[64 + lx] + part[128 + lx] + part[192 + lx];
    float v = p.alpha * total;
    if (p.beta != 0.0f) v += p.beta * out[j];
    out[j] = v;
  }
}

static cudaError_t launch_reduce_rows(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  ReduceRowsParams p;
  std::memcpy(&p, raw, sizeof p);
  unsigned g = groups(t[0], 64);
  if (g == 0 || t[1] == 0) return cudaSuccess;
  reduce_rows<<<g, dim3(64, 4), 0, s>>>(p, (const float*)b[0], (float*)b[1]);
  return cudaGetLastError();
}

}  // namespace kernels

const KernelEntry reduce_rows_kernels[] = {
    {"reduce_rows", 2, sizeof(kernels::ReduceRowsParams), kernels::launch_reduce_rows,
     (const void*)kernels::reduce_rows},
};
const int reduce_rows_count = 1;

}  // namespace handover
