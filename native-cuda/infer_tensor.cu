// Inference kernels (infer_tensor family): CUDA versions of the WGSL kernels in shaders/
// with the same names and Params layouts. (Filled in by the inference-ops work.)
#include "kernels.h"

namespace handover {

const KernelEntry infer_tensor_kernels[] = {{nullptr, 0, 0, nullptr, nullptr}};
const int infer_tensor_count = 0;

}  // namespace handover
