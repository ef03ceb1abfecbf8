// Shared by the attention kernels (gpt_attention.cu, gpt_attention_rows.cu):
// the Params of shaders/attention_*.wgsl.
#pragma once
#include <cstdint>

namespace handover {
namespace kernels {

struct AttentionParams { uint32_t b, t, h, d; float scale; uint32_t _a, _b, _c; };
constexpr unsigned kMaxHeadDim = 128;

}  // namespace kernels
}  // namespace handover
