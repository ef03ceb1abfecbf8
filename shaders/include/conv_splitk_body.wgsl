// Shared by conv2d_splitk64 and conv2d_splitk32 (pasted by
// scripts/embed-shaders.mjs after conv_params.wgsl and one of the gemm tile
// includes): the first half of a split-k implicit-GEMM convolution, for
// convolutions whose output has too few tiles to fill a GPU but a long
// reduction (resnet50's layer3 and layer4: 7 x 7 or 14 x 14 pixels, k up to
// 4608). Workgroup z = group * S + s computes slice s of S of the reduction
// (S = workgroups along z / groups; slices of whole TILE_K steps) for the
// tile of workgroup (x, y) and writes the raw sums (no bias) to
// partial[s * total + index in Y]; conv2d_splitk_sum adds the S slices in
// order, then the bias, and clamps. The WebGPU device runs both (variants.ts)
// and owns `partial` (S * total floats).
//! include conv_gather.wgsl
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let kSize = (p.cin / p.groups) * p.kh * p.kw;
  let slices = nwg.z / p.groups;
  let s = wg.z % slices;
  let chunk = ((kSize + slices - 1u) / slices + TILE_K - 1u) / TILE_K * TILE_K;
  let lo = min(kSize, s * chunk);
  let acc = convTile(wg.x, wg.y, wg.z / slices, lo, min(kSize, lo + chunk), lid);
  let base = s * p.total;
  for (var j = 0u; j < PER; j++) {
    for (var i = 0u; i < PER; i++) {
      let o = tileOut(lid, i, j);
      if (o.ok) { partial[base + o.y] = acc[i][j]; }
    }
  }
}
