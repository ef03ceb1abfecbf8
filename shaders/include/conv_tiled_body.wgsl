// Shared by conv2d_tiled and conv2d_tiled32 (pasted by scripts/embed-shaders.mjs
// at `//! include conv_tiled_body.wgsl`, after conv_params.wgsl and one of the
// gemm tile includes): the implicit-GEMM convolution of conv_gather.wgsl over
// the whole reduction. Workgroup x: TILE pixels, y: TILE output channels of
// group z. Epilogue: bias, then clamp to [lo, hi] (a fused Relu or Clip).
//! include conv_gather.wgsl

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = convTile(wg.x, wg.y, wg.z, 0u, (p.cin / p.groups) * p.kh * p.kw, lid);
  for (var j = 0u; j < PER; j++) {
    for (var i = 0u; i < PER; i++) {
      let o = tileOut(lid, i, j);
      if (!o.ok) { continue; }
      var v = acc[i][j];
      if (p.hasBias != 0u) { v += bias[o.co]; }
      y[o.y] = clamp(v, p.lo, p.hi);
    }
  }
}
