// kv_gather (llm family): the CUDA twin of shaders/kv_gather.wgsl, same name,
// bindings and Params layout. One (layer, k|v) plane of a decoder's padded
// past [rows, heads, past, headDim] gathered from the paged KV cache's
// token-major blocks through the block table (src/llm/kv-cache.ts).
#include "infer_tensor.h"

namespace handover {
namespace llm {

using tensor::word;

struct KvGatherParams {
  uint32_t n, heads, past, headDim, blockTokens, tokenWords, planeWord, maxBlocks, rows, _a, _b, _c;
};
static_assert(sizeof(KvGatherParams) == 48, "kv_gather 12 words");

constexpr uint32_t kSkip = 0xffffffffu;

// table[b]: row b's cached length; table[rows + b * maxBlocks + j]: word offset
// of its j-th block in src, kSkip when another launch's src range holds it.
// Positions at or past the length are written 0 (padding the bias masks).
__global__ void kv_gather(KvGatherParams p, const uint32_t* table, const word* src, word* dst) {
  uint32_t i;
  if (!tensor::item(p.n, i)) return;
  uint32_t d = i % p.headDim;
  uint32_t t = (i / p.headDim) % p.past;
  uint32_t h = (i / (p.headDim * p.past)) % p.heads;
  uint32_t b = i / (p.headDim * p.past * p.heads);
  if (t >= table[b]) {
    dst[i] = 0;
    return;
  }
  uint32_t block = table[p.rows + b * p.maxBlocks + t / p.blockTokens];
  if (block == kSkip) return;
  dst[i] = src[block + (t % p.blockTokens) * p.tokenWords + p.planeWord + h * p.headDim + d];
}

static cudaError_t launch_kv_gather(void* const* b, const void* raw, const unsigned* t, cudaStream_t s) {
  return tensor::launch_items(kv_gather, raw, t, s, (const uint32_t*)b[0], (const word*)b[1], (word*)b[2]);
}

}  // namespace llm

const KernelEntry llm_kernels[] = {
    {"kv_gather", 3, sizeof(llm::KvGatherParams), llm::launch_kv_gather, (const void*)llm::kv_gather},
};
const int llm_count = sizeof(llm_kernels) / sizeof(llm_kernels[0]);

}  // namespace handover
