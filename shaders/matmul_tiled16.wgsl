// matmul_tiled16: the 128 x 128 vec4 GEMM (shaders/include/matmul_tiled_body.wgsl)
// 16 deep along k a step (half the barriers of matmul_tiled, two vec4s of A
// and two of B in flight per invocation, 32 KiB of workgroup memory), its 16
// multiply-accumulate steps written out.
const TK = 16u;

fn steps(x: Acc, cur: u32) -> Acc { return eight(eight(x, cur), cur + 256u); }
//! include matmul_tiled_body.wgsl
