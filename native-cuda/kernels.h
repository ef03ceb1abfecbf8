// The kernel table: CUDA kernels with the names and the params layouts of the
// WGSL kernels in shaders/ (each Params struct mirrors the WGSL `struct Params`).
// `threads` is the invocation count per dimension the WGSL kernel expects; a
// launcher derives its grid from it exactly as the WebGPU backend does.
#pragma once
#include <cuda_runtime_api.h>
#include <cstddef>

namespace handover {

typedef cudaError_t (*Launcher)(void* const* bindings, const void* params, const unsigned* threads, cudaStream_t s);

struct KernelEntry {
  const char* name;
  int bindings;
  size_t paramBytes;
  Launcher launch;
  const void* func;  // the __global__ function, for cudaFuncGetAttributes (prepare)
};

extern const KernelEntry elementwise_kernels[];
extern const int elementwise_count;
extern const KernelEntry softmax_xent_kernels[];
extern const int softmax_xent_count;
extern const KernelEntry reduce_rows_kernels[];
extern const int reduce_rows_count;
extern const KernelEntry optimizer_kernels[];
extern const int optimizer_count;
// Inference kernels (src/infer/ops): elementwise/tensor family and nn family.
extern const KernelEntry infer_tensor_kernels[];
extern const int infer_tensor_count;
extern const KernelEntry infer_nn_kernels[];
extern const int infer_nn_count;
// GPT training kernels (docs/gpt-kernels.md): gpt_nn.cu, gpt_attention.cu, gpt_loss.cu, gpt_optim.cu.
extern const KernelEntry gpt_nn_kernels[];
extern const int gpt_nn_count;
extern const KernelEntry gpt_loss_kernels[];
extern const int gpt_loss_count;
extern const KernelEntry gpt_optim_kernels[];
extern const int gpt_optim_count;
extern const KernelEntry gpt_attention_kernels[];
extern const int gpt_attention_count;
// The first (one thread per row) attention, as attention_*_rows: the benchmark's baseline
// (count 0 unless HANDOVER_ATTENTION_BASELINE=1).
extern const KernelEntry gpt_attention_rows_kernels[];
extern const int gpt_attention_rows_count;
// The decoder's paged KV cache (kv_gather.cu).
extern const KernelEntry llm_kernels[];
extern const int llm_count;

inline unsigned groups(unsigned threads, unsigned per) { return (threads + per - 1) / per; }

}  // namespace handover

// Launch with <<<>>> and report the launch's own error (a bad configuration);
// failures while the kernel runs surface at the next event query.
#define LAUNCH_1D(kernel, threads, block, stream, ...)                                \
  do {                                                                                \
    unsigned g_ = handover::groups(threads, block);                                   \
    if (g_ == 0) return cudaSuccess;                                                  \
    kernel<<<g_, block, 0, stream>>>(__VA_ARGS__);                                    \
    return cudaGetLastError();                                                        \
  } while (0)
