// matmul_tiled8u: the 128 x 128 vec4 GEMM (shaders/include/matmul_tiled_body.wgsl)
// 8 deep along k a step, its 8 multiply-accumulate steps written out (no loop
// for the driver's compiler to leave rolled).
const TK = 8u;

fn steps(x: Acc, cur: u32) -> Acc { return eight(x, cur); }
//! include matmul_tiled_body.wgsl
