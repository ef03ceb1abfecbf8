// Inference kernels (infer_nn family): CUDA versions of the WGSL kernels in
// shaders/ with the same names, bindings and Params layouts (infer_nn.h).
// The kernels live in infer_gemm.cu (conv2d, batched_matmul), infer_conv.cu
// (conv2d_direct, conv_transpose2d, pool2d) and infer_norm.cu (batch_norm,
// instance_norm, layer_norm, softmax, reduce).
#include "infer_nn.h"

namespace handover {

#define NN_ENTRY(name, bindings, P) {#name, bindings, sizeof(nn::P), nn::launch_##name, nn::func_##name}

// The func_* pointers are constant-initialised in their files, so reading them
// here (dynamic initialisation) sees their values.
const KernelEntry infer_nn_kernels[] = {
    NN_ENTRY(conv2d, 4, ConvParams),
    NN_ENTRY(conv2d_direct, 4, ConvParams),
    NN_ENTRY(conv_transpose2d, 4, ConvParams),
    NN_ENTRY(pool2d, 2, PoolParams),
    NN_ENTRY(batch_norm, 6, BatchNormParams),
    NN_ENTRY(instance_norm, 4, InstanceNormParams),
    NN_ENTRY(layer_norm, 4, LayerNormParams),
    NN_ENTRY(softmax, 2, SoftmaxParams),
    NN_ENTRY(reduce, 2, ReduceParams),
    NN_ENTRY(batched_matmul, 4, BatchedMatmulParams),
};
const int infer_nn_count = sizeof(infer_nn_kernels) / sizeof(infer_nn_kernels[0]);

#undef NN_ENTRY

}  // namespace handover
