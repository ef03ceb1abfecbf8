// GPT training kernels, attention family: causal multi-head self-attention,
// tiled FlashAttention-2 style in fp32 (no [T, T] matrix in memory; forward
// saves the logsumexp, backward recomputes the probabilities). Same names,
// bindings and Params as shaders/attention_*.wgsl (docs/gpt-kernels.md).
//
// A block of 256 threads owns 64 rows of one (b, h): queries (forward, dq) or
// keys (dkv). The other side's rows come in 64-row tiles staged in shared
// memory; tiles past the causal diagonal are skipped. Each thread holds a 4 x 4
// piece of the 64 x 64 score tile (rows ty + 16a, columns tx + 16b: one row's
// 16 threads are half a warp, so row reductions are shuffles) and 4 rows x
// DP/16 columns of its accumulators. The head is padded with zeros to DP in
// {16, 32, 64, 128}. No atomics: dq and dk/dv come from two passes, and every
// sum runs in a fixed order, so results are deterministic.
#include <cuda_runtime_api.h>
#include "gpt_attention.h"
#include "gpt_common.h"
#include "kernels.h"

namespace handover {
namespace kernels {
namespace {

constexpr unsigned kTile = 64, kThreads = 256, kPld = kTile + 1;
#define FOR4(x) _Pragma("unroll") for (unsigned x = 0; x < 4; x++)

// The row vectors of one (b, h): element (row, i) of q, k, v, y or dy.
struct HeadRows {
  const float* base;
  size_t stride;
  __device__ float at(unsigned row, unsigned i) const { return base[row * stride + i]; }
};

// 64 rows from row0 into dst [64][DP + 1], times mul; zeros past t and past d.
template <unsigned DP>
__device__ void stage(float* dst, HeadRows src, unsigned row0, const AttentionParams& p, float mul) {
  for (unsigned e = threadIdx.x; e < kTile * DP; e += kThreads) {
    unsigned r = e / DP, i = e % DP, row = row0 + r;
    dst[r * (DP + 1) + i] = row < p.t && i < p.d ? src.at(row, i) * mul : 0.0f;
  }
}

// acc[a][b] += sum_i x[ty + 16a][i] * z[tx + 16b][i] over the padded head.
template <unsigned DP>
__device__ void tile_dots(float (&acc)[4][4], const float* x, const float* z, unsigned tx, unsigned ty) {
#pragma unroll 8
  for (unsigned i = 0; i < DP; i++) {
    float xa[4], zb[4];
    FOR4(a) xa[a] = x[(ty + 16 * a) * (DP + 1) + i];
    FOR4(b) zb[b] = z[(tx + 16 * b) * (DP + 1) + i];
    FOR4(a) FOR4(b) acc[a][b] += xa[a] * zb[b];
  }
}

// acc[a][c] += sum_j w[ty + 16a][j] * z[j][tx + 16c]: a 64-wide weight tile times 64 rows.
template <unsigned DP>
__device__ void tile_accumulate(float (&acc)[4][DP / 16], const float* w, const float* z, unsigned tx, unsigned ty) {
#pragma unroll 4
  for (unsigned j = 0; j < kTile; j++) {
    float wa[4], zc[DP / 16];
    FOR4(a) wa[a] = w[(ty + 16 * a) * kPld + j];
#pragma unroll
    for (unsigned c = 0; c < DP / 16; c++) zc[c] = z[j * (DP + 1) + tx + 16 * c];
    FOR4(a) {
#pragma unroll
      for (unsigned c = 0; c < DP / 16; c++) acc[a][c] += wa[a] * zc[c];
    }
  }
}

__device__ inline float half_warp_max(float v) {
  for (unsigned o = 8; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline float half_warp_sum(float v) {
  for (unsigned o = 8; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

template <unsigned DP>
constexpr size_t forward_smem() { return (3 * kTile * (DP + 1) + kTile * kPld) * sizeof(float); }
template <unsigned DP>
constexpr size_t dq_smem() { return (4 * kTile * (DP + 1) + kTile * kPld) * sizeof(float); }
template <unsigned DP>
constexpr size_t dkv_smem() { return (4 * kTile * (DP + 1) + 2 * kTile * kPld + 2 * kTile) * sizeof(float); }

// The (b, h) of blockIdx.y: its q, k, v rows in qkv [B, T, 3C] and its column offset.
struct Head {
  HeadRows q, k, v;
  size_t rowBase, col, c;
};
__device__ inline Head head_of(const AttentionParams& p, const float* qkv) {
  unsigned bh = blockIdx.y, bi = bh / p.h;
  size_t c = (size_t)p.h * p.d, col = (size_t)(bh % p.h) * p.d, rowBase = (size_t)bi * p.t;
  const float* base = qkv + rowBase * 3 * c + col;
  return {{base, 3 * c}, {base + c, 3 * c}, {base + 2 * c, 3 * c}, rowBase, col, c};
}

template <unsigned DP>
__global__ void __launch_bounds__(kThreads) attention_forward_k(AttentionParams p, const float* qkv, float* y, float* lse) {
  constexpr unsigned NC = DP / 16;
  extern __shared__ float sm[];
  float *qs = sm, *ks = qs + kTile * (DP + 1), *vs = ks + kTile * (DP + 1), *ps = vs + kTile * (DP + 1);
  const unsigned tx = threadIdx.x & 15, ty = threadIdx.x >> 4, qb = gridDim.x - 1 - blockIdx.x;  // longest rows first
  const Head hd = head_of(p, qkv);
  stage<DP>(qs, hd.q, qb * kTile, p, p.scale);
  float m[4], l[4], o[4][NC];
  FOR4(a) {
    m[a] = -INFINITY;
    l[a] = 0.0f;
    for (unsigned c = 0; c < NC; c++) o[a][c] = 0.0f;
  }
  for (unsigned kb = 0; kb <= qb; kb++) {
    __syncthreads();  // the previous tile's readers are done
    stage<DP>(ks, hd.k, kb * kTile, p, 1.0f);
    stage<DP>(vs, hd.v, kb * kTile, p, 1.0f);
    __syncthreads();
    float s[4][4] = {};
    tile_dots<DP>(s, qs, ks, tx, ty);
    FOR4(a) {
      float mx = -INFINITY;
      FOR4(b) {
        if (kb == qb && tx + 16 * b > ty + 16 * a) s[a][b] = -INFINITY;  // key after query
        mx = fmaxf(mx, s[a][b]);
      }
      float mNew = fmaxf(m[a], half_warp_max(mx)), corr = expf(m[a] - mNew), sum = 0.0f;
      FOR4(b) {
        float e = expf(s[a][b] - mNew);
        sum += e;
        ps[(ty + 16 * a) * kPld + tx + 16 * b] = e;
      }
      l[a] = l[a] * corr + half_warp_sum(sum);
      m[a] = mNew;
      for (unsigned c = 0; c < NC; c++) o[a][c] *= corr;
    }
    __syncthreads();
    tile_accumulate<DP>(o, ps, vs, tx, ty);
  }
  FOR4(a) {
    unsigned row = qb * kTile + ty + 16 * a;
    if (row >= p.t) continue;
    float* yrow = y + (hd.rowBase + row) * hd.c + hd.col;
    for (unsigned c = 0; c < NC; c++)
      if (tx + 16 * c < p.d) yrow[tx + 16 * c] = o[a][c] / l[a];
    if (tx == 0) lse[(size_t)blockIdx.y * p.t + row] = m[a] + logf(l[a]);
  }
}

template <unsigned DP>
__global__ void __launch_bounds__(kThreads) attention_backward_dq_k(AttentionParams p, const float* qkv, const float* y,
                                                                    const float* dy, const float* lse, float* dqkv, float* delta) {
  constexpr unsigned NC = DP / 16;
  extern __shared__ float sm[];
  float *qs = sm, *gs = qs + kTile * (DP + 1), *ks = gs + kTile * (DP + 1), *vs = ks + kTile * (DP + 1), *ds = vs + kTile * (DP + 1);
  const unsigned tx = threadIdx.x & 15, ty = threadIdx.x >> 4, qb = gridDim.x - 1 - blockIdx.x;
  const Head hd = head_of(p, qkv);
  const HeadRows yr{y + hd.rowBase * hd.c + hd.col, hd.c}, dyr{dy + hd.rowBase * hd.c + hd.col, hd.c};
  stage<DP>(qs, hd.q, qb * kTile, p, p.scale);
  stage<DP>(gs, dyr, qb * kTile, p, 1.0f);
  __syncthreads();
  float z[4], dl[4], dq[4][NC];
  FOR4(a) {  // delta = rowsum(dy * y), and the saved logsumexp
    unsigned row = qb * kTile + ty + 16 * a;
    float part = 0.0f;
    for (unsigned c = 0; c < NC; c++) {
      unsigned i = tx + 16 * c;
      if (row < p.t && i < p.d) part += gs[(ty + 16 * a) * (DP + 1) + i] * yr.at(row, i);
      dq[a][c] = 0.0f;
    }
    dl[a] = half_warp_sum(part);
    z[a] = row < p.t ? lse[(size_t)blockIdx.y * p.t + row] : 0.0f;
    if (tx == 0 && row < p.t) delta[(size_t)blockIdx.y * p.t + row] = dl[a];
  }
  for (unsigned kb = 0; kb <= qb; kb++) {
    __syncthreads();
    stage<DP>(ks, hd.k, kb * kTile, p, 1.0f);
    stage<DP>(vs, hd.v, kb * kTile, p, 1.0f);
    __syncthreads();
    float s[4][4] = {}, dp[4][4] = {};
    tile_dots<DP>(s, qs, ks, tx, ty);
    tile_dots<DP>(dp, gs, vs, tx, ty);
    FOR4(a) FOR4(b) {
      bool keep = !(kb == qb && tx + 16 * b > ty + 16 * a);
      ds[(ty + 16 * a) * kPld + tx + 16 * b] = keep ? expf(s[a][b] - z[a]) * (dp[a][b] - dl[a]) : 0.0f;
    }
    __syncthreads();
    tile_accumulate<DP>(dq, ds, ks, tx, ty);
  }
  FOR4(a) {
    unsigned row = qb * kTile + ty + 16 * a;
    if (row >= p.t) continue;
    float* out = dqkv + (hd.rowBase + row) * 3 * hd.c + hd.col;
    for (unsigned c = 0; c < NC; c++)
      if (tx + 16 * c < p.d) out[tx + 16 * c] = dq[a][c] * p.scale;
  }
}

// One block per 64 keys: rows of the score tile are keys (ty + 16a), columns
// queries (tx + 16b), walking the query tiles from the diagonal to the end.
template <unsigned DP>
__global__ void __launch_bounds__(kThreads) attention_backward_dkv_k(AttentionParams p, const float* qkv, const float* dy,
                                                                     const float* lse, const float* delta, float* dqkv) {
  constexpr unsigned NC = DP / 16;
  extern __shared__ float sm[];
  float *ks = sm, *vs = ks + kTile * (DP + 1), *qs = vs + kTile * (DP + 1), *gs = qs + kTile * (DP + 1);
  float *ps = gs + kTile * (DP + 1), *ds = ps + kTile * kPld, *zs = ds + kTile * kPld, *dls = zs + kTile;
  const unsigned tx = threadIdx.x & 15, ty = threadIdx.x >> 4, kb = blockIdx.x;  // longest first
  const Head hd = head_of(p, qkv);
  const HeadRows dyr{dy + hd.rowBase * hd.c + hd.col, hd.c};
  stage<DP>(ks, hd.k, kb * kTile, p, 1.0f);
  stage<DP>(vs, hd.v, kb * kTile, p, 1.0f);
  float dk[4][NC], dv[4][NC];
  FOR4(a) for (unsigned c = 0; c < NC; c++) dk[a][c] = dv[a][c] = 0.0f;
  for (unsigned qb = kb; qb < gridDim.x; qb++) {
    __syncthreads();
    stage<DP>(qs, hd.q, qb * kTile, p, p.scale);
    stage<DP>(gs, dyr, qb * kTile, p, 1.0f);
    if (threadIdx.x < kTile) {
      unsigned row = qb * kTile + threadIdx.x;
      zs[threadIdx.x] = row < p.t ? lse[(size_t)blockIdx.y * p.t + row] : 0.0f;
      dls[threadIdx.x] = row < p.t ? delta[(size_t)blockIdx.y * p.t + row] : 0.0f;
    }
    __syncthreads();
    float s[4][4] = {}, dp[4][4] = {};
    tile_dots<DP>(s, ks, qs, tx, ty);
    tile_dots<DP>(dp, vs, gs, tx, ty);
    FOR4(a) FOR4(b) {
      unsigned query = tx + 16 * b;
      bool keep = qb * kTile + query < p.t && !(qb == kb && query < ty + 16 * a);
      float pr = keep ? expf(s[a][b] - zs[query]) : 0.0f;
      ps[(ty + 16 * a) * kPld + query] = pr;
      ds[(ty + 16 * a) * kPld + query] = keep ? pr * (dp[a][b] - dls[query]) : 0.0f;
    }
    __syncthreads();
    tile_accumulate<DP>(dv, ps, gs, tx, ty);
    tile_accumulate<DP>(dk, ds, qs, tx, ty);
  }
  FOR4(a) {
    unsigned row = kb * kTile + ty + 16 * a;
    if (row >= p.t) continue;
    float* out = dqkv + (hd.rowBase + row) * 3 * hd.c + hd.c + hd.col;
    for (unsigned c = 0; c < NC; c++)
      if (tx + 16 * c < p.d) {
        out[tx + 16 * c] = dk[a][c];
        out[hd.c + tx + 16 * c] = dv[a][c];
      }
  }
}
#undef FOR4

// The table's `func` (for prepare): the D = 64 instantiations (GPT-2's head).
static const void* const attention_forward = (const void*)attention_forward_k<64>;
static const void* const attention_backward_dq = (const void*)attention_backward_dq_k<64>;
static const void* const attention_backward_dkv = (const void*)attention_backward_dkv_k<64>;

// threads = [T, B * H] as the WGSL dispatch: one block per 64 rows, one grid row per (b, h).
template <typename... A>
static cudaError_t launch_tiled(void (*kernel)(AttentionParams, A...), size_t smem, const AttentionParams& p, const unsigned* t,
                                cudaStream_t s, A... args) {
  cudaError_t e = cudaFuncSetAttribute((const void*)kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  if (e != cudaSuccess) return e;
  kernel<<<dim3(groups(t[0], kTile), t[1] ? t[1] : 1), kThreads, smem, s>>>(p, args...);
  return cudaGetLastError();
}
#define LAUNCH_ATTENTION(kernel, smem, ...)                                                          \
  do {                                                                                               \
    AttentionParams p = params_of<AttentionParams>(raw);                                             \
    if (t[0] == 0 || p.d == 0) return cudaSuccess;                                                   \
    if (p.d <= 16) return launch_tiled(kernel<16>, smem<16>(), p, t, s, __VA_ARGS__);            \
    if (p.d <= 32) return launch_tiled(kernel<32>, smem<32>(), p, t, s, __VA_ARGS__);            \
    if (p.d <= 64) return launch_tiled(kernel<64>, smem<64>(), p, t, s, __VA_ARGS__);            \
    if (p.d <= kMaxHeadDim) return launch_tiled(kernel<128>, smem<128>(), p, t, s, __VA_ARGS__); \
    return cudaErrorInvalidValue;                                                                    \
  } while (0)

static cudaError_t launch_attention_forward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_ATTENTION(attention_forward_k, forward_smem, GPT_CF(0), GPT_F(1), GPT_F(2));
}
static cudaError_t launch_attention_backward_dq(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_ATTENTION(attention_backward_dq_k, dq_smem, GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_CF(3), GPT_F(4), GPT_F(5));
}
static cudaError_t launch_attention_backward_dkv(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_ATTENTION(attention_backward_dkv_k, dkv_smem, GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_CF(3), GPT_F(4));
}
#undef LAUNCH_ATTENTION

}  // namespace
}  // namespace kernels

const KernelEntry gpt_attention_kernels[] = {
    {"attention_forward", 3, sizeof(kernels::AttentionParams), kernels::launch_attention_forward, kernels::attention_forward},
    {"attention_backward_dq", 6, sizeof(kernels::AttentionParams), kernels::launch_attention_backward_dq,
     kernels::attention_backward_dq},
    {"attention_backward_dkv", 5, sizeof(kernels::AttentionParams), kernels::launch_attention_backward_dkv,
     kernels::attention_backward_dkv},
};
const int gpt_attention_count = sizeof(gpt_attention_kernels) / sizeof(gpt_attention_kernels[0]);

}  // namespace handover
