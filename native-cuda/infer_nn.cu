// Inference kernels (infer_nn family): CUDA versions of the WGSL kernels in shaders/
// with the same names and Params layouts. (Filled in by the inference-ops work.)
#include "kernels.h"

namespace handover {

const KernelEntry infer_nn_kernels[] = {{nullptr, 0, 0, nullptr, nullptr}};
const int infer_nn_count = 0;

}  // namespace handover
