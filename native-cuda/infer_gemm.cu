// conv2d (implicit GEMM) and batched_matmul on one shared-memory tiled fp32
// GEMM core: a 256-thread block computes a BM x BN tile of C = A B, each
// thread (TM = BM/16) x (TN = BN/16) outputs, K in steps of 16 (the next step
// is read into registers while the current one is multiplied).
//   conv2d: per group g, A = weights [coutG, K = cinG*kh*kw] (row-major as
//   stored), B = the im2col view of x [K, n*oh*ow] gathered on the fly
//   (padding reads 0), C = y with bias and the [lo, hi] clamp fused.
//   batched_matmul: per batch entry, A [m, k] and B [k, n] row-major at the
//   offsets the broadcast batch dims give, C [m, n] plus the row bias.
// Both cover exactly the outputs of their WGSL kernels; the grid is chosen
// here (tile size by problem size), y and z loop past 65535 blocks.
#include "infer_nn.h"

namespace handover {
namespace nn {

constexpr int kThreads = 256;
constexpr int BK = 16;

// acc += A tile x B tile over K. a(mm, k): A at tile row mm; b(k): B at this
// thread's fixed tile column (kThreads is a multiple of BN, so every element
// a thread loads into Bs sits in column threadIdx.x % BN). Both give 0 off the edge.
template <int BM, int BN, class LoadA, class LoadB>
__device__ void tile_product(const LoadA& a, const LoadB& b, unsigned K, float (&acc)[BM / 16][BN / 16]) {
  constexpr int TM = BM / 16, TN = BN / 16;
  static_assert(kThreads % BN == 0 && (BM * BK) % kThreads == 0 && (BN * BK) % kThreads == 0, "tile shape");
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN];
  constexpr int NA = BM * BK / kThreads, NB = BN * BK / kThreads;
  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  // The next K step is fetched into registers while this one is multiplied.
  float ra[NA], rb[NB];
  auto fetch = [&](unsigned k0) {
#pragma unroll
    for (int i = 0; i < NA; i++) ra[i] = a((t + i * kThreads) / BK, k0 + (t + i * kThreads) % BK);
#pragma unroll
    for (int i = 0; i < NB; i++) rb[i] = b(k0 + (t + i * kThreads) / BN);
  };
  if (K > 0) fetch(0);
  for (unsigned k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
    for (int i = 0; i < NA; i++) As[(t + i * kThreads) % BK][(t + i * kThreads) / BK] = ra[i];
#pragma unroll
    for (int i = 0; i < NB; i++) Bs[(t + i * kThreads) / BN][(t + i * kThreads) % BN] = rb[i];
    __syncthreads();
    if (k0 + BK < K) fetch(k0 + BK);
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float av[TM], bv[TN];
#pragma unroll
      for (int i = 0; i < TM; i++) av[i] = As[kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; j++) bv[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }
}

// Row-major [rows, K] operand (weights, or A of a matmul) from row0 on.
struct RowsLoader {
  const float* base;  // element (row0, 0)
  unsigned rows, K;   // rows left from row0, row length
  __device__ float operator()(int mm, unsigned k) const {
    return (unsigned)mm < rows && k < K ? base[(size_t)mm * K + k] : 0.0f;
  }
};

// Row-major B [K, N] of a matmul, at column col.
struct ColumnLoader {
  const float* base;
  unsigned K, N, col;
  __device__ float operator()(unsigned k) const { return k < K && col < N ? base[(size_t)k * N + col] : 0.0f; }
};

// The im2col column of output pixel pix (over n*oh*ow) of group g.
template <bool ONE_BY_ONE>
struct Im2colLoader {
  const float* xg;  // x at (nb, g*cinG, 0, 0)
  int ih0, iw0;
  unsigned K, h, w, khw, kw, dh, dw;
  bool valid;
  __device__ Im2colLoader(const ConvParams& p, const float* x, unsigned g, unsigned pix, unsigned npix) {
    unsigned cinG = p.cin / p.groups, ohw = p.oh * p.ow;
    valid = pix < npix;
    unsigned nb = valid ? pix / ohw : 0, q = valid ? pix % ohw : 0;
    ih0 = (int)((q / p.ow) * p.sh) - (int)p.ph;
    iw0 = (int)((q % p.ow) * p.sw) - (int)p.pw;
    xg = x + ((size_t)nb * p.cin + (size_t)g * cinG) * p.h * p.w;
    h = p.h, w = p.w, kw = p.kw, dh = p.dh, dw = p.dw;
    khw = p.kh * p.kw;
    K = cinG * khw;
  }
  __device__ float operator()(unsigned k) const {
    if (!valid || k >= K) return 0.0f;
    unsigned ci = k, r = 0;
    if (!ONE_BY_ONE) ci = k / khw, r = k - ci * khw;
    int ih = ih0 + (int)((r / kw) * dh), iw = iw0 + (int)((r % kw) * dw);
    if (ih < 0 || ih >= (int)h || iw < 0 || iw >= (int)w) return 0.0f;
    return xg[((size_t)ci * h + ih) * w + iw];
  }
};

// blockIdx.x: pixel tile, y: output-channel tile of a group, z: group.
template <int BM, int BN, bool ONE_BY_ONE>
__global__ void __launch_bounds__(kThreads) conv2d(ConvParams p, const float* x, const float* wt, const float* bias,
                                                   float* y) {
  constexpr int TM = BM / 16, TN = BN / 16;
  const unsigned coutG = p.cout / p.groups, cinG = p.cin / p.groups, K = cinG * p.kh * p.kw;
  const unsigned ohw = p.oh * p.ow, npix = p.n * ohw, mTiles = (coutG + BM - 1) / BM;
  const unsigned n0 = blockIdx.x * BN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (unsigned g = blockIdx.z; g < p.groups; g += gridDim.z) {
    Im2colLoader<ONE_BY_ONE> b(p, x, g, n0 + threadIdx.x % BN, npix);
    for (unsigned mt = blockIdx.y; mt < mTiles; mt += gridDim.y) {
      const unsigned m0 = mt * BM;
      RowsLoader a{wt + ((size_t)g * coutG + m0) * K, coutG - m0, K};
      float acc[TM][TN] = {};
      tile_product<BM, BN>(a, b, K, acc);
#pragma unroll
      for (int j = 0; j < TN; j++) {
        unsigned pix = n0 + tx + 16 * j;
        if (pix >= npix) continue;
        size_t nb = pix / ohw, q = pix % ohw;
#pragma unroll
        for (int i = 0; i < TM; i++) {
          unsigned cl = m0 + ty * TM + i;
          if (cl >= coutG) continue;
          unsigned co = g * coutG + cl;
          float v = acc[i][j];
          if (p.hasBias != 0u) v += bias[co];
          y[(nb * p.cout + co) * ohw + q] = clampf(v, p.lo, p.hi);
        }
      }
    }
  }
}

// blockIdx.x: column tile, y: row tile, z: batch entry.
template <int BM, int BN>
__global__ void __launch_bounds__(kThreads) batched_matmul(BatchedMatmulParams p, const float* A, const float* B,
                                                           const float* bias, float* C, unsigned batches) {
  constexpr int TM = BM / 16, TN = BN / 16;
  const unsigned mTiles = (p.m + BM - 1) / BM, n0 = blockIdx.x * BN;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (unsigned z = blockIdx.z; z < batches; z += gridDim.z) {
    size_t offA = 0, offB = 0;
    unsigned rem = z;
    for (int d = (int)p.rank - 1; d >= 0; d--) {
      unsigned k = rem % p.dims[d];
      rem /= p.dims[d];
      offA += (size_t)k * p.sa[d];
      offB += (size_t)k * p.sb[d];
    }
    ColumnLoader b{B + offB, p.k, p.n, n0 + threadIdx.x % BN};
    float* Cz = C + (size_t)z * p.m * p.n;
    for (unsigned mt = blockIdx.y; mt < mTiles; mt += gridDim.y) {
      const unsigned m0 = mt * BM;
      RowsLoader a{A + offA + (size_t)m0 * p.k, p.m - m0, p.k};
      float acc[TM][TN] = {};
      tile_product<BM, BN>(a, b, p.k, acc);
#pragma unroll
      for (int i = 0; i < TM; i++) {
        unsigned row = m0 + ty * TM + i;
        if (row >= p.m) continue;
#pragma unroll
        for (int j = 0; j < TN; j++) {
          unsigned col = n0 + tx + 16 * j;
          if (col < p.n) Cz[(size_t)row * p.n + col] = acc[i][j] + bias[col];
        }
      }
    }
  }
}

// Tile shape for an M x N product repeated `count` times: thin shapes get thin
// tiles; 64 x 64 when that still gives two blocks per SM of an H100, else 32 x 32.
enum class Shape { Wide, Tall, Big, Small };
static Shape pick(unsigned M, unsigned N, unsigned count) {
  if (M <= 16) return Shape::Wide;
  if (N <= 16) return Shape::Tall;
  double big = (double)groups(M, 64) * groups(N, 64) * count;
  return big >= 264 ? Shape::Big : Shape::Small;
}

static dim3 grid(unsigned nTiles, unsigned mTiles, unsigned count) {
  return dim3(nTiles, mTiles < 65535 ? mTiles : 65535, count < 65535 ? count : 65535);
}

template <int BM, int BN>
static cudaError_t conv_tiles(const ConvParams& p, bool oneByOne, void* const* b, cudaStream_t s) {
  unsigned coutG = p.cout / p.groups;
  dim3 g = grid(groups(p.n * p.oh * p.ow, BN), groups(coutG, BM), p.groups);
  auto* x = (const float*)b[0];
  auto* w = (const float*)b[1];
  auto* bias = (const float*)b[2];
  auto* y = (float*)b[3];
  if (oneByOne) conv2d<BM, BN, true><<<g, kThreads, 0, s>>>(p, x, w, bias, y);
  else conv2d<BM, BN, false><<<g, kThreads, 0, s>>>(p, x, w, bias, y);
  return cudaGetLastError();
}

cudaError_t launch_conv2d(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  ConvParams p = params<ConvParams>(raw);
  if (t[0] == 0 || t[1] == 0 || t[2] == 0 || p.groups == 0) return cudaSuccess;
  unsigned coutG = p.cout / p.groups, npix = p.n * p.oh * p.ow;
  if (coutG == 0 || npix == 0) return cudaSuccess;
  bool one = p.kh == 1 && p.kw == 1;
  switch (pick(coutG, npix, p.groups)) {
    case Shape::Wide: return conv_tiles<16, 64>(p, one, b, s);
    case Shape::Tall: return conv_tiles<64, 16>(p, one, b, s);
    case Shape::Big: return conv_tiles<64, 64>(p, one, b, s);
    default: return conv_tiles<32, 32>(p, one, b, s);
  }
}

template <int BM, int BN>
static cudaError_t matmul_tiles(const BatchedMatmulParams& p, unsigned count, void* const* b, cudaStream_t s) {
  dim3 g = grid(groups(p.n, BN), groups(p.m, BM), count);
  batched_matmul<BM, BN><<<g, kThreads, 0, s>>>(p, (const float*)b[0], (const float*)b[1], (const float*)b[2],
                                                 (float*)b[3], count);
  return cudaGetLastError();
}

// threads = [ceil(n/8), ceil(m/4), batch count]: z is the batch count.
cudaError_t launch_batched_matmul(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  BatchedMatmulParams p = params<BatchedMatmulParams>(raw);
  if (t[0] == 0 || t[1] == 0 || t[2] == 0 || p.m == 0 || p.n == 0) return cudaSuccess;
  if (p.rank > 4) return cudaErrorInvalidValue;
  switch (pick(p.m, p.n, t[2])) {
    case Shape::Wide: return matmul_tiles<16, 64>(p, t[2], b, s);
    case Shape::Tall: return matmul_tiles<64, 16>(p, t[2], b, s);
    case Shape::Big: return matmul_tiles<64, 64>(p, t[2], b, s);
    default: return matmul_tiles<32, 32>(p, t[2], b, s);
  }
}

extern const void* const func_conv2d = (const void*)conv2d<64, 64, false>;
extern const void* const func_batched_matmul = (const void*)batched_matmul<64, 64>;

}  // namespace nn
}  // namespace handover
