// conv2d_direct (depthwise and other narrow groups), conv_transpose2d and
// pool2d: one output per thread over the flat output index, as in the WGSL
// kernels (conv2d_direct's WGSL does four outputs of a row per invocation; here
// neighbouring threads take neighbouring pixels, which coalesces the loads).
// Padding contributes 0.
#include "infer_nn.h"

namespace handover {
namespace nn {

// 64-bit, so a grid that rounds a u32 total up past 2^32 cannot wrap onto a low index.
__device__ inline size_t flat_index() { return (size_t)blockIdx.x * blockDim.x + threadIdx.x; }

// KH, KW > 0: the kernel size is known at compile time (3x3, the common case).
template <int KH, int KW>
__global__ void conv2d_direct(ConvParams p, const float* x, const float* wt, const float* bias, float* y,
                              unsigned total) {
  size_t at = flat_index();
  if (at >= total) return;
  unsigned i = (unsigned)at;
  const unsigned kh = KH > 0 ? KH : p.kh, kw = KW > 0 ? KW : p.kw;
  unsigned ow = i % p.ow, oh = (i / p.ow) % p.oh;
  unsigned co = (i / (p.ow * p.oh)) % p.cout, nb = i / (p.ow * p.oh * p.cout);
  unsigned coutG = p.cout / p.groups, cinG = p.cin / p.groups, g = co / coutG;
  int ih0 = (int)(oh * p.sh) - (int)p.ph, iw0 = (int)(ow * p.sw) - (int)p.pw;
  float acc = 0.0f;
  for (unsigned ci = 0; ci < cinG; ci++) {
    const float* xp = x + ((size_t)nb * p.cin + g * cinG + ci) * p.h * p.w;
    const float* wp = wt + ((size_t)co * cinG + ci) * kh * kw;
#pragma unroll
    for (unsigned a = 0; a < kh; a++) {
      int ih = ih0 + (int)(a * p.dh);
      if (ih < 0 || ih >= (int)p.h) continue;
#pragma unroll
      for (unsigned c = 0; c < kw; c++) {
        int iw = iw0 + (int)(c * p.dw);
        if (iw < 0 || iw >= (int)p.w) continue;
        acc = fmaf(__ldg(xp + (size_t)ih * p.w + iw), __ldg(wp + a * kw + c), acc);
      }
    }
  }
  if (p.hasBias != 0u) acc += bias[co];
  y[i] = clampf(acc, p.lo, p.hi);
}

cudaError_t launch_conv2d_direct(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  ConvParams p = params<ConvParams>(raw);
  if (t[0] == 0 || p.groups == 0 || p.cout / p.groups == 0) return cudaSuccess;
  size_t total = (size_t)p.n * p.cout * p.oh * p.ow;
  if (total == 0) return cudaSuccess;
  if (total > 0xffffffffu) return cudaErrorInvalidValue;  // outputs are counted in u32, as in WGSL
  unsigned g = groups((unsigned)total, 256);
  auto* x = (const float*)b[0];
  auto* w = (const float*)b[1];
  auto* bias = (const float*)b[2];
  auto* y = (float*)b[3];
  if (p.kh == 3 && p.kw == 3) conv2d_direct<3, 3><<<g, 256, 0, s>>>(p, x, w, bias, y, (unsigned)total);
  else conv2d_direct<0, 0><<<g, 256, 0, s>>>(p, x, w, bias, y, (unsigned)total);
  return cudaGetLastError();
}

// Gathers the inputs that scatter into output (oh, ow): oh = ih*sh - ph + kh*dh.
__global__ void conv_transpose2d(ConvParams p, const float* x, const float* wt, const float* bias, float* y) {
  size_t at = flat_index();
  if (at >= p.total) return;
  unsigned i = (unsigned)at;
  unsigned ow = i % p.ow, oh = (i / p.ow) % p.oh;
  unsigned co = (i / (p.ow * p.oh)) % p.cout, nb = i / (p.ow * p.oh * p.cout);
  unsigned coutG = p.cout / p.groups, cinG = p.cin / p.groups, g = co / coutG, cog = co % coutG;
  float acc = p.hasBias != 0u ? bias[co] : 0.0f;
  for (unsigned ci = g * cinG; ci < (g + 1) * cinG; ci++) {
    for (unsigned a = 0; a < p.kh; a++) {
      int th = (int)oh + (int)p.ph - (int)(a * p.dh);
      if (th < 0 || th % (int)p.sh != 0) continue;
      unsigned ih = (unsigned)th / p.sh;
      if (ih >= p.h) continue;
      for (unsigned c = 0; c < p.kw; c++) {
        int tw = (int)ow + (int)p.pw - (int)(c * p.dw);
        if (tw < 0 || tw % (int)p.sw != 0) continue;
        unsigned iw = (unsigned)tw / p.sw;
        if (iw >= p.w) continue;
        acc = fmaf(x[(((size_t)nb * p.cin + ci) * p.h + ih) * p.w + iw],
                   wt[(((size_t)ci * coutG + cog) * p.kh + a) * p.kw + c], acc);
      }
    }
  }
  y[i] = acc;
}

cudaError_t launch_conv_transpose2d(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  ConvParams p = params<ConvParams>(raw);
  if (p.total == 0 || p.groups == 0 || p.cout / p.groups == 0 || p.sh == 0 || p.sw == 0) return cudaSuccess;
  LAUNCH_1D(conv_transpose2d, p.total, 256, s, p, (const float*)b[0], (const float*)b[1], (const float*)b[2],
            (float*)b[3]);
}

// MaxPool (mode 0): padding cells skipped, start at -FLT_MAX; AveragePool
// (mode 1): divide by the cells inside the input, or with countPad by the
// window clipped to the padded extent [-ph, h + phEnd).
__global__ void pool2d(PoolParams p, const float* x, float* y) {
  size_t at = flat_index();
  if (at >= p.total) return;
  unsigned i = (unsigned)at;
  unsigned ow = i % p.ow, oh = (i / p.ow) % p.oh, plane = i / (p.ow * p.oh);
  const float* xp = x + (size_t)plane * p.h * p.w;
  int hs = (int)(oh * p.sh) - (int)p.ph, ws = (int)(ow * p.sw) - (int)p.pw;
  float m = kLowest, sum = 0.0f;
  unsigned cnt = 0;
  for (unsigned a = 0; a < p.kh; a++) {
    int ih = hs + (int)(a * p.dh);
    if (ih < 0 || ih >= (int)p.h) continue;
    for (unsigned c = 0; c < p.kw; c++) {
      int iw = ws + (int)(c * p.dw);
      if (iw < 0 || iw >= (int)p.w) continue;
      float v = xp[(size_t)ih * p.w + iw];
      m = fmaxf(m, v);
      sum += v;
      cnt++;
    }
  }
  if (p.mode == 0u) {
    y[i] = m;
    return;
  }
  if (p.countPad != 0u) {
    int h0 = max(hs, -(int)p.ph), h1 = min(hs + (int)((p.kh - 1) * p.dh) + 1, (int)(p.h + p.phEnd));
    int w0 = max(ws, -(int)p.pw), w1 = min(ws + (int)((p.kw - 1) * p.dw) + 1, (int)(p.w + p.pwEnd));
    int cells = ((h1 - h0 + (int)p.dh - 1) / (int)p.dh) * ((w1 - w0 + (int)p.dw - 1) / (int)p.dw);
    y[i] = sum / (float)cells;
  } else {
    y[i] = sum / (float)max(cnt, 1u);
  }
}

cudaError_t launch_pool2d(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  PoolParams p = params<PoolParams>(raw);
  if (p.dh == 0 || p.dw == 0) return cudaErrorInvalidValue;
  LAUNCH_1D(pool2d, p.total, 256, s, p, (const float*)b[0], (float*)b[1]);
}

extern const void* const func_conv2d_direct = (const void*)conv2d_direct<3, 3>;
extern const void* const func_conv_transpose2d = (const void*)conv_transpose2d;
extern const void* const func_pool2d = (const void*)pool2d;

}  // namespace nn
}  // namespace handover
