// matmul_slab8: the 128 x 128 vec4 GEMM with per-invocation slabs
// (shaders/include/matmul_slab_body.wgsl), 8 deep along k a step (17 KiB of workgroup memory),
// its 8 multiply-accumulate steps written out at constant slab indices.
const TK = 8u;

fn stepsOn(x: Acc, i: u32) -> Acc {
  let sa = &slabs[i * 16u + ty];
  let sb = &slabs[SLABS_B + i * 16u + tx];
  let y0 = fma8x8(fma8x8(x, (*sa)[0], (*sa)[1], (*sb)[0], (*sb)[1]), (*sa)[2], (*sa)[3], (*sb)[2], (*sb)[3]);
  let y2 = fma8x8(fma8x8(y0, (*sa)[4], (*sa)[5], (*sb)[4], (*sb)[5]), (*sa)[6], (*sa)[7], (*sb)[6], (*sb)[7]);
  let y4 = fma8x8(fma8x8(y2, (*sa)[8], (*sa)[9], (*sb)[8], (*sb)[9]), (*sa)[10], (*sa)[11], (*sb)[10], (*sb)[11]);
  return fma8x8(fma8x8(y4, (*sa)[12], (*sa)[13], (*sb)[12], (*sb)[13]), (*sa)[14], (*sa)[15], (*sb)[14], (*sb)[15]);
}
//! include matmul_slab_body.wgsl
