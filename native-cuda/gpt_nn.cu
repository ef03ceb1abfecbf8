// GPT training kernels, nn family: embedding, LayerNorm, GELU. Same names,
// Params layouts and arithmetic as shaders/embedding_*.wgsl, layernorm_*.wgsl
// and gelu_*.wgsl (docs/gpt-kernels.md); no atomics: the same bits every run.
#include "gpt_common.h"
#include "kernels.h"

namespace handover {
namespace kernels {

struct EmbeddingForwardParams { uint32_t n, t, c, v; };
struct EmbeddingWteParams { uint32_t u, c, v, _a; };
struct EmbeddingWpeParams { uint32_t b, t, c, _a; };
struct LayernormForwardParams { uint32_t n, c; float eps; uint32_t _a; };
struct LayernormBackwardParams { uint32_t n, c, accumulate, _a; };
struct GeluParams { uint32_t n, _a, _b, _c; };

__global__ void embedding_forward(EmbeddingForwardParams p, const uint32_t* tokens, const float* wte, const float* wpe,
                                  float* out) {
  size_t i = gidx();
  if (i >= (size_t)p.n * p.c) return;
  size_t row = i / p.c, col = i % p.c;
  uint32_t tok = tokens[row];
  out[i] = tok >= p.v ? runtime_nan(tok) : wte[(size_t)tok * p.c + col] + wpe[(row % p.t) * p.c + col];
}

__global__ void embedding_backward_wte(EmbeddingWteParams p, const float* dout, const uint32_t* tokens,
                                       const uint32_t* order, const uint32_t* segments, float* dwte) {
  size_t i = gidx();
  if (i >= (size_t)p.u * p.c) return;
  size_t u = i / p.c, col = i % p.c;
  uint32_t start = segments[u], end = segments[u + 1];
  uint32_t tok = tokens[order[start]];
  if (tok >= p.v) return;
  float s = 0.0f;
  for (uint32_t k = start; k < end; k++) s += dout[(size_t)order[k] * p.c + col];
  dwte[(size_t)tok * p.c + col] += s;
}

__global__ void embedding_backward_wpe(EmbeddingWpeParams p, const float* dout, float* dwpe) {
  size_t i = gidx();
  if (i >= (size_t)p.t * p.c) return;
  size_t stride = (size_t)p.t * p.c;
  float s = 0.0f;
  for (uint32_t b = 0; b < p.b; b++) s += dout[b * stride + i];
  dwpe[i] += s;
}

__global__ void layernorm_forward(LayernormForwardParams p, const float* x, const float* gamma, const float* beta,
                                  float* y, float* mean, float* rstd) {
  __shared__ float red[64];
  unsigned r = blockIdx.x, l = threadIdx.x;
  if (r >= p.n) return;
  size_t base = (size_t)r * p.c;
  float s = 0.0f;
  for (unsigned j = l; j < p.c; j += 64) s += x[base + j];
  float mu = block_sum<64>(red, l, s) / (float)p.c;
  float q = 0.0f;
  for (unsigned j = l; j < p.c; j += 64) {
    float d = x[base + j] - mu;
    q += d * d;
  }
  float rs = 1.0f / sqrtf(block_sum<64>(red, l, q) / (float)p.c + p.eps);
  for (unsigned j = l; j < p.c; j += 64) y[base + j] = (x[base + j] - mu) * rs * gamma[j] + beta[j];
  if (l == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
}

__global__ void layernorm_backward(LayernormBackwardParams p, const float* dy, const float* x, const float* gamma,
                                   const float* mean, const float* rstd, float* dx) {
  __shared__ float2 red[64];
  unsigned r = blockIdx.x, l = threadIdx.x;
  if (r >= p.n) return;
  size_t base = (size_t)r * p.c;
  float mu = mean[r], rs = rstd[r];
  float2 acc = make_float2(0.0f, 0.0f);
  for (unsigned j = l; j < p.c; j += 64) {
    float g = dy[base + j] * gamma[j];
    acc.x += g;
    acc.y += g * (x[base + j] - mu) * rs;
  }
  red[l] = acc;
  __syncthreads();
  for (unsigned s = 32; s > 0; s >>= 1) {
    if (l < s) red[l] = make_float2(red[l].x + red[l + s].x, red[l].y + red[l + s].y);
    __syncthreads();
  }
  float mx = red[0].x / (float)p.c, my = red[0].y / (float)p.c;
  for (unsigned j = l; j < p.c; j += 64) {
    float xhat = (x[base + j] - mu) * rs;
    float v = rs * (dy[base + j] * gamma[j] - mx - xhat * my);
    if (p.accumulate) v += dx[base + j];
    dx[base + j] = v;
  }
}

__global__ void layernorm_backward_params(LayernormBackwardParams p, const float* dy, const float* x,
                                          const float* mean, const float* rstd, float* dgamma, float* dbeta) {
  __shared__ float2 part[256];
  unsigned lx = threadIdx.x, ly = threadIdx.y;
  unsigned j = blockIdx.x * 64 + lx;
  float2 s = make_float2(0.0f, 0.0f);
  if (j < p.c) {
    for (unsigned r = ly; r < p.n; r += 4) {
      float d = dy[(size_t)r * p.c + j];
      s.x += d * (x[(size_t)r * p.c + j] - mean[r]) * rstd[r];
      s.y += d;
    }
  }
  part[ly * 64 + lx] = s;
  __syncthreads();
  if (ly == 0 && j < p.c) {
    float tx = part[lx].x + part[64 + lx].x + part[128 + lx].x + part[192 + lx].x;
    float ty = part[lx].y + part[64 + lx].y + part[128 + lx].y + part[192 + lx].y;
    if (p.accumulate) {
      tx += dgamma[j];
      ty += dbeta[j];
    }
    dgamma[j] = tx;
    dbeta[j] = ty;
  }
}

__global__ void gelu_forward(GeluParams p, const float* x, float* y) {
  size_t i = gidx();
  if (i >= p.n) return;
  float v = x[i];
  float o = 0.5f * v * (1.0f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v)));
  if (v > 10.0f) o = v;
  if (v < -10.0f) o = 0.0f;
  y[i] = o;
}

__global__ void gelu_backward(GeluParams p, const float* x, const float* dy, float* dx) {
  size_t i = gidx();
  if (i >= p.n) return;
  float v = x[i];
  float th = tanhf(0.7978845608f * (v + 0.044715f * v * v * v));
  float d = 0.5f * (1.0f + th) + 0.5f * v * (1.0f - th * th) * 0.7978845608f * (1.0f + 0.134145f * v * v);
  if (v > 10.0f) d = 1.0f;
  if (v < -10.0f) d = 0.0f;
  dx[i] = dy[i] * d;
}

static cudaError_t launch_embedding_forward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(embedding_forward, t[0], 256, s, params_of<EmbeddingForwardParams>(raw), GPT_CU(0), GPT_CF(1), GPT_CF(2), GPT_F(3));
}
static cudaError_t launch_embedding_backward_wte(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(embedding_backward_wte, t[0], 256, s, params_of<EmbeddingWteParams>(raw), GPT_CF(0), GPT_CU(1), GPT_CU(2), GPT_CU(3), GPT_F(4));
}
static cudaError_t launch_embedding_backward_wpe(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(embedding_backward_wpe, t[0], 256, s, params_of<EmbeddingWpeParams>(raw), GPT_CF(0), GPT_F(1));
}
static cudaError_t launch_layernorm_forward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(layernorm_forward, t[0], 64, s, params_of<LayernormForwardParams>(raw), GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_F(3), GPT_F(4), GPT_F(5));
}
static cudaError_t launch_layernorm_backward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(layernorm_backward, t[0], 64, s, params_of<LayernormBackwardParams>(raw), GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_CF(3), GPT_CF(4), GPT_F(5));
}
static cudaError_t launch_layernorm_backward_params(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  unsigned g = groups(t[0], 64);
  if (g == 0) return cudaSuccess;
  layernorm_backward_params<<<g, dim3(64, 4), 0, s>>>(params_of<LayernormBackwardParams>(raw), GPT_CF(0), GPT_CF(1), GPT_CF(2), GPT_CF(3),
                                                       GPT_F(4), GPT_F(5));
  return cudaGetLastError();
}
static cudaError_t launch_gelu_forward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(gelu_forward, t[0], 256, s, params_of<GeluParams>(raw), GPT_CF(0), GPT_F(1));
}
static cudaError_t launch_gelu_backward(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  LAUNCH_1D(gelu_backward, t[0], 256, s, params_of<GeluParams>(raw), GPT_CF(0), GPT_CF(1), GPT_F(2));
}

}  // namespace kernels

const KernelEntry gpt_nn_kernels[] = {
    GPT_ENTRY(embedding_forward, 4, EmbeddingForwardParams),
    GPT_ENTRY(embedding_backward_wte, 5, EmbeddingWteParams),
    GPT_ENTRY(embedding_backward_wpe, 2, EmbeddingWpeParams),
    GPT_ENTRY(layernorm_forward, 6, LayernormForwardParams),
    GPT_ENTRY(layernorm_backward, 6, LayernormBackwardParams),
    GPT_ENTRY(layernorm_backward_params, 6, LayernormBackwardParams),
    GPT_ENTRY(gelu_forward, 2, GeluParams),
    GPT_ENTRY(gelu_backward, 3, GeluParams),
};
const int gpt_nn_count = sizeof(gpt_nn_kernels) / sizeof(gpt_nn_kernels[0]);

}  // namespace handover
