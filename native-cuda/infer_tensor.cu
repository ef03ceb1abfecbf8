// Inference kernels (infer_tensor family): CUDA versions of the WGSL kernels in
// shaders/ with the same names, bindings and Params layouts. The data-movement
// kernels (gather, pad, strided_copy, trilu) are here; binary, binary_int,
// compare, where are in infer_binary.cu; unary, unary_int, unary_math, erf,
// cast in infer_unary.cu. Index arithmetic is u32 (i32 where the WGSL's is),
// wrapping as WGSL's does; values are 4-byte words moved as bits.
#include "infer_tensor.h"

namespace handover {
namespace tensor {

// y[o, j, r] = x[o, idx[j], r] for x viewed as [outer, axisLen, inner];
// negative indices count from the end, out-of-range ones are clamped. An
// empty axis (only reachable with runtime indices, which ONNX rejects) gives
// 0 where WGSL would read out of bounds.
__global__ void gather(GatherParams p, const word* x, const int32_t* idx, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  uint32_t r = i % p.inner;
  uint32_t j = (i / p.inner) % p.nIdx;
  uint32_t o = i / (p.inner * p.nIdx);
  if (p.axisLen == 0) {
    y[i] = 0;
    return;
  }
  int32_t g = idx[j];
  if (g < 0) g += (int32_t)p.axisLen;
  uint32_t gi = (uint32_t)min(max(g, 0), (int32_t)p.axisLen - 1);
  y[i] = x[(o * p.axisLen + gi) * p.inner + r];
}

// y over the padded shape: output index k maps to input k - begin; mode 0
// constant (value), 1 reflect, 2 edge. x is read only inside it.
__global__ void pad(PadParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  uint32_t off = 0, stride = 1;
  bool inside = true;
  coordinates(p.od, p.rank, i, [&](int d, uint32_t c) {
    int32_t xd = (int32_t)p.xd[d];
    int32_t k = (int32_t)c - p.begin[d];
    if (k < 0 || k >= xd) {
      if (p.mode == 0) {
        inside = false;
      } else if (p.mode == 1) {
        int32_t period = max(2 * (xd - 1), 1);
        k = abs(k) % period;
        if (k >= xd) k = period - k;
      } else {
        k = min(max(k, 0), xd - 1);
      }
    }
    off += (uint32_t)k * stride;
    stride *= (uint32_t)xd;
  });
  y[i] = inside ? x[off] : p.value;
}

// y[yOff + sum k_d ys_d] = x[xOff + sum k_d xs_d] over the iteration shape;
// xs may be negative (i32 arithmetic, done on u32 bits: the same wrap).
__global__ void strided_copy(StridedCopyParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  uint32_t ix = p.xOff, iy = p.yOff;
  coordinates(p.dims, p.rank, i, [&](int d, uint32_t k) {
    ix += k * (uint32_t)p.xs[d];
    iy += k * p.ys[d];
  });
  y[iy] = x[ix];
}

// Keep the upper (j - r >= k) or lower (j - r <= k) triangle of the trailing
// [rows, cols] matrices, 0 elsewhere.
__global__ void trilu(TriluParams p, const word* x, word* y) {
  uint32_t i;
  if (!item(p.n, i)) return;
  int32_t j = (int32_t)(i % p.cols);
  int32_t r = (int32_t)((i / p.cols) % p.rows);
  bool keep = p.upper != 0 ? j - r >= p.k : j - r <= p.k;
  y[i] = keep ? x[i] : 0u;
}

cudaError_t launch_gather(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(gather, raw, t, s, (const word*)b[0], (const int32_t*)b[1], (word*)b[2]);
}
cudaError_t launch_pad(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(pad, raw, t, s, (const word*)b[0], (word*)b[1]);
}
cudaError_t launch_strided_copy(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(strided_copy, raw, t, s, (const word*)b[0], (word*)b[1]);
}
cudaError_t launch_trilu(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return launch_items(trilu, raw, t, s, (const word*)b[0], (word*)b[1]);
}

}  // namespace tensor

#define ENTRY(name, bindings, P, fn) \
  {#name, bindings, sizeof(tensor::P), tensor::launch_##name, (const void*)tensor::fn}

const KernelEntry infer_tensor_kernels[] = {
    ENTRY(binary, 3, BinaryParams, binary),
    ENTRY(binary_int, 3, BinaryParams, binary_int),
    ENTRY(compare, 3, BinaryParams, compare),
    ENTRY(where, 4, WhereParams, where),
    ENTRY(unary, 2, UnaryParams, unary),
    ENTRY(unary_int, 2, UnaryParams, unary_int),
    ENTRY(unary_math, 2, UnaryParams, unary_math),
    ENTRY(erf, 2, UnaryParams, erf_gelu),
    ENTRY(cast, 2, CastParams, cast),
    ENTRY(gather, 3, GatherParams, gather),
    ENTRY(pad, 2, PadParams, pad),
    ENTRY(strided_copy, 2, StridedCopyParams, strided_copy),
    ENTRY(trilu, 2, TriluParams, trilu),
};
const int infer_tensor_count = sizeof(infer_tensor_kernels) / sizeof(infer_tensor_kernels[0]);

#undef ENTRY

}  // namespace handover
