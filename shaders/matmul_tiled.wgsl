// matmul_tiled: the 128 x 128 vec4 GEMM (shaders/include/matmul_tiled_body.wgsl)
// 8 deep along k a step, its 8 multiply-accumulate steps in a loop (the
// driver's compiler decides whether to unroll it).
const TK = 8u;

fn steps(x: Acc, cur: u32) -> Acc {
  var y = x;
  for (var kk = 0u; kk < TK; kk++) { y = mac(y, cur + kk * 32u); }
  return y;
}
//! include matmul_tiled_body.wgsl
