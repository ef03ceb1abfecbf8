// batch_norm, instance_norm, layer_norm, softmax and reduce. The statistics
// are computed as in the WGSL kernels (two passes: mean, then the mean of
// squared deviations; softmax: max, sum of exp, then the outputs; max/min
// start from -/+FLT_MAX and let a NaN lose to a number), but a row or plane
// is shared by the lanes of a warp or a block instead of one invocation.
#include "infer_nn.h"

namespace handover {
namespace nn {

__device__ inline size_t flat_thread() { return (size_t)blockIdx.x * blockDim.x + threadIdx.x; }

// Blocks of 256 threads for one warp per item (eight items a block).
static unsigned warp_blocks(unsigned items) { return (unsigned)(((size_t)items + 7) / 8); }

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ float block_sum(float v) {
  __shared__ float part[32];
  v = warp_sum(v);
  __syncthreads();  // the previous call's readers are done with part
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
  __syncthreads();
  float r = 0.0f;
  for (unsigned w = 0; w < blockDim.x >> 5; w++) r += part[w];
  return r;
}

__global__ void batch_norm(BatchNormParams p, const float* x, const float* scale, const float* bias,
                           const float* mean, const float* vari, float* y) {
  size_t i = flat_thread();
  if (i >= p.n) return;
  unsigned c = ((unsigned)i / p.spatial) % p.c;
  y[i] = (x[i] - mean[c]) / sqrtf(vari[c] + p.eps) * scale[c] + bias[c];
}

cudaError_t launch_batch_norm(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  BatchNormParams p = params<BatchNormParams>(raw);
  if (p.spatial == 0 || p.c == 0) return cudaSuccess;
  LAUNCH_1D(batch_norm, p.n, 256, s, p, (const float*)b[0], (const float*)b[1], (const float*)b[2],
            (const float*)b[3], (const float*)b[4], (float*)b[5]);
}

// One 256-thread block per (n, c) plane.
__global__ void instance_norm(InstanceNormParams p, const float* x, const float* scale, const float* bias,
                              float* y) {
  unsigned pl = blockIdx.x, c = pl % p.c;
  const float* xp = x + (size_t)pl * p.spatial;
  float s = 0.0f;
  for (unsigned j = threadIdx.x; j < p.spatial; j += blockDim.x) s += xp[j];
  float mean = block_sum(s) / (float)p.spatial;
  float v = 0.0f;
  for (unsigned j = threadIdx.x; j < p.spatial; j += blockDim.x) {
    float d = xp[j] - mean;
    v += d * d;
  }
  float k = scale[c] / sqrtf(block_sum(v) / (float)p.spatial + p.eps);
  float* yp = y + (size_t)pl * p.spatial;
  for (unsigned j = threadIdx.x; j < p.spatial; j += blockDim.x) yp[j] = (xp[j] - mean) * k + bias[c];
}

cudaError_t launch_instance_norm(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  InstanceNormParams p = params<InstanceNormParams>(raw);
  if (p.planes == 0 || p.spatial == 0 || p.c == 0) return cudaSuccess;
  instance_norm<<<p.planes, 256, 0, s>>>(p, (const float*)b[0], (const float*)b[1], (const float*)b[2],
                                         (float*)b[3]);
  return cudaGetLastError();
}

// One warp per row, eight rows per block.
__global__ void layer_norm(LayerNormParams p, const float* x, const float* scale, const float* bias, float* y) {
  size_t r = flat_thread() >> 5;
  unsigned lane = threadIdx.x & 31;
  if (r >= p.rows) return;
  const float* xr = x + r * p.len;
  float s = 0.0f;
  for (unsigned j = lane; j < p.len; j += 32) s += xr[j];
  float mean = warp_sum(s) / (float)p.len;
  float v = 0.0f;
  for (unsigned j = lane; j < p.len; j += 32) {
    float d = xr[j] - mean;
    v += d * d;
  }
  float inv = 1.0f / sqrtf(warp_sum(v) / (float)p.len + p.eps);
  float* yr = y + r * p.len;
  for (unsigned j = lane; j < p.len; j += 32) {
    float o = (xr[j] - mean) * inv * scale[j % p.scaleLen];
    if (p.hasBias != 0u) o += bias[j % p.biasLen];
    yr[j] = o;
  }
}

cudaError_t launch_layer_norm(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LayerNormParams p = params<LayerNormParams>(raw);
  if (p.rows == 0 || p.len == 0) return cudaSuccess;
  if (p.scaleLen == 0 || (p.hasBias != 0u && p.biasLen == 0)) return cudaErrorInvalidValue;
  layer_norm<<<warp_blocks(p.rows), 256, 0, s>>>(p, (const float*)b[0], (const float*)b[1], (const float*)b[2],
                                                 (float*)b[3]);
  return cudaGetLastError();
}

// inner == 1: the row is contiguous, one warp per row.
__global__ void softmax_rows(SoftmaxParams p, const float* x, float* y) {
  size_t r = flat_thread() >> 5;
  unsigned lane = threadIdx.x & 31;
  if (r >= p.rows) return;
  const float* xr = x + r * p.len;
  float m = kLowest;
  for (unsigned j = lane; j < p.len; j += 32) m = fmaxf(m, xr[j]);
  m = warp_max(m);
  float s = 0.0f;
  for (unsigned j = lane; j < p.len; j += 32) s += expf(xr[j] - m);
  s = warp_sum(s);
  float* yr = y + r * p.len;
  if (p.log != 0u) {
    float ls = logf(s);
    for (unsigned j = lane; j < p.len; j += 32) yr[j] = xr[j] - m - ls;
  } else {
    float inv = 1.0f / s;
    for (unsigned j = lane; j < p.len; j += 32) yr[j] = expf(xr[j] - m) * inv;
  }
}

// inner > 1: one row per thread, strided by inner (neighbouring threads read
// neighbouring words), as the WGSL kernel.
__global__ void softmax(SoftmaxParams p, const float* x, float* y) {
  size_t at = flat_thread();
  if (at >= p.rows) return;
  unsigned r = (unsigned)at;
  size_t base = (size_t)(r / p.inner) * p.len * p.inner + r % p.inner, st = p.inner;
  float m = kLowest;
  for (unsigned j = 0; j < p.len; j++) m = fmaxf(m, x[base + j * st]);
  float s = 0.0f;
  for (unsigned j = 0; j < p.len; j++) s += expf(x[base + j * st] - m);
  if (p.log != 0u) {
    float ls = logf(s);
    for (unsigned j = 0; j < p.len; j++) y[base + j * st] = x[base + j * st] - m - ls;
  } else {
    float inv = 1.0f / s;
    for (unsigned j = 0; j < p.len; j++) y[base + j * st] = expf(x[base + j * st] - m) * inv;
  }
}

cudaError_t launch_softmax(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  SoftmaxParams p = params<SoftmaxParams>(raw);
  if (p.rows == 0 || p.inner == 0) return cudaSuccess;
  auto* x = (const float*)b[0];
  auto* y = (float*)b[1];
  if (p.inner == 1) {
    softmax_rows<<<warp_blocks(p.rows), 256, 0, s>>>(p, x, y);
    return cudaGetLastError();
  }
  LAUNCH_1D(softmax, p.rows, 256, s, p, x, y);
}

// reduce: op 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 sum of squares,
// 6 log-sum-exp, 7 L1, 8 L2 (shaders/reduce.wgsl).
__device__ inline float reduce_init(unsigned op) {
  return op == 2u ? kLowest : op == 3u ? kHighest : op == 4u ? 1.0f : 0.0f;
}
__device__ inline float reduce_step(unsigned op, float acc, float v, float mx) {
  switch (op) {
    case 2u: return fmaxf(acc, v);
    case 3u: return fminf(acc, v);
    case 4u: return acc * v;
    case 5u:
    case 8u: return acc + v * v;
    case 6u: return acc + expf(v - mx);
    case 7u: return acc + fabsf(v);
    default: return acc + v;
  }
}
// Merges two partial results of the same op (max, min, product, else a sum).
__device__ inline float reduce_merge(unsigned op, float a, float b) {
  return op == 2u ? fmaxf(a, b) : op == 3u ? fminf(a, b) : op == 4u ? a * b : a + b;
}
__device__ inline float reduce_final(unsigned op, float acc, unsigned count, float mx) {
  if (op == 1u) acc /= (float)count;
  if (op == 6u) acc = mx + logf(acc);
  if (op == 8u) acc = sqrtf(acc);
  return acc;
}

// Offset of reduced element j from the output's base (dims walked last to first).
__device__ inline size_t reduced_offset(const ReduceParams& p, unsigned j) {
  if (p.contiguous != 0u) return j;
  size_t off = 0;
  for (int d = (int)p.redRank - 1; d >= 0; d--) {
    off += (size_t)(j % p.rd[d]) * p.rs[d];
    j /= p.rd[d];
  }
  return off;
}

__device__ inline size_t output_base(const ReduceParams& p, unsigned i) {
  if (p.contiguous != 0u) return (size_t)i * p.count;
  size_t base = 0;
  for (int d = (int)p.keptRank - 1; d >= 0; d--) {
    base += (size_t)(i % p.od[d]) * p.os[d];
    i /= p.od[d];
  }
  return base;
}

// One output per thread (short reductions, or reduced dims that are not trailing).
__global__ void reduce(ReduceParams p, const float* x, float* y) {
  size_t at = flat_thread();
  if (at >= p.n) return;
  const float* xb = x + output_base(p, (unsigned)at);
  float mx = kLowest;
  if (p.op == 6u)
    for (unsigned j = 0; j < p.count; j++) mx = fmaxf(mx, xb[reduced_offset(p, j)]);
  float acc = reduce_init(p.op);
  for (unsigned j = 0; j < p.count; j++) acc = reduce_step(p.op, acc, xb[reduced_offset(p, j)], mx);
  y[at] = reduce_final(p.op, acc, p.count, mx);
}

// Contiguous reduced block of at least 32: one warp per output, coalesced reads.
__global__ void reduce_rows_warp(ReduceParams p, const float* x, float* y) {
  size_t o = flat_thread() >> 5;
  unsigned lane = threadIdx.x & 31;
  if (o >= p.n) return;
  const float* xb = x + o * p.count;
  float mx = kLowest;
  if (p.op == 6u) {
    for (unsigned j = lane; j < p.count; j += 32) mx = fmaxf(mx, xb[j]);
    mx = warp_max(mx);
  }
  float acc = reduce_init(p.op);
  for (unsigned j = lane; j < p.count; j += 32) acc = reduce_step(p.op, acc, xb[j], mx);
  for (int d = 16; d > 0; d >>= 1) acc = reduce_merge(p.op, acc, __shfl_xor_sync(0xffffffffu, acc, d));
  if (lane == 0) y[o] = reduce_final(p.op, acc, p.count, mx);
}

cudaError_t launch_reduce(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  ReduceParams p = params<ReduceParams>(raw);
  if (p.n == 0) return cudaSuccess;
  if (p.keptRank > 8 || p.redRank > 8) return cudaErrorInvalidValue;
  auto* x = (const float*)b[0];
  auto* y = (float*)b[1];
  if (p.contiguous != 0u && p.count >= 32) {
    reduce_rows_warp<<<warp_blocks(p.n), 256, 0, s>>>(p, x, y);
    return cudaGetLastError();
  }
  LAUNCH_1D(reduce, p.n, 256, s, p, x, y);
}

extern const void* const func_batch_norm = (const void*)batch_norm;
extern const void* const func_instance_norm = (const void*)instance_norm;
extern const void* const func_layer_norm = (const void*)layer_norm;
extern const void* const func_softmax = (const void*)softmax;
extern const void* const func_reduce = (const void*)reduce;

}  // namespace nn
}  // namespace handover
