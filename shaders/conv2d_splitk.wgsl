// conv2d_splitk: conv2d.wgsl's contract (bias, then clamp to [lo, hi]) for
// hardware GPUs, for convolutions with few outputs and a long reduction
// (mobilenet_v2's 1x1 convolutions on 7 x 7 pixels with k = 960, squeezenet's
// 3x3 on 13 x 13 with k = 576, resnet50's layer3 and layer4 at batch 1): there
// even conv2d_tiled32 runs a few dozen workgroups, each walking k serially.
// Here a workgroup of 256 invocations owns CH output channels (of one group)
// x 8 output pixels, and the LANES invocations of one output split the
// reduction by input channel (lane l takes channels l, l + LANES, ... with
// their kernel windows); the partial sums are added in lane order.
// Invocation li: pixel li % 8, channel (li / 8) % CH, lane li / (8 CH) (a warp
// reads 8 neighbouring pixels of the input). 16 lanes (was 4, with 8
// channels): resnet50's layer4 at batch 1 ran 448 workgroups, each output
// a serial chain of 1152 products.
// Workgroups: x = pixel octets over (n, oh, ow), y = channel pairs of a group, z = group.
// Selected by the WebGPU device instead of conv2d (src/devices/webgpu/variants.ts).
//! include conv_params.wgsl

const LANES = 16u;
const CH = 2u;
const PER_LANE = 16u; // outputs a lane covers: 8 pixels x CH channels
var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let grp = wg.z;
  let coutG = p.cout / p.groups;
  let cinG = p.cin / p.groups;
  let khw = p.kh * p.kw;
  let kSize = cinG * khw;
  let pixels = p.n * p.oh * p.ow;
  let pix = wg.x * 8u + li % 8u;
  let r = wg.y * CH + (li / 8u) % CH;
  let lane = li / PER_LANE;
  var acc = 0.0;
  if (pix < pixels && r < coutG) {
    let ow = pix % p.ow;
    let oh = (pix / p.ow) % p.oh;
    let nb = pix / (p.ow * p.oh);
    let xBase = (nb * p.cin + grp * cinG) * p.h * p.w;
    let ih0 = i32(oh * p.sh) - i32(p.ph);
    let iw0 = i32(ow * p.sw) - i32(p.pw);
    let wBase = (grp * coutG + r) * kSize;
    // Lane l takes input channels l, l + LANES, ... and their whole kernel window:
    // no division per element (a flat k would need four).
    for (var ci = lane; ci < cinG; ci += LANES) {
      let xPlane = xBase + ci * p.h * p.w;
      var wi = wBase + ci * khw;
      for (var kh = 0u; kh < p.kh; kh++) {
        let ih = ih0 + i32(kh * p.dh);
        let rowOk = ih >= 0 && ih < i32(p.h);
        let row = xPlane + u32(max(ih, 0)) * p.w;
        for (var kw = 0u; kw < p.kw; kw++) {
          let iw = iw0 + i32(kw * p.dw);
          if (rowOk && iw >= 0 && iw < i32(p.w)) { acc = fma(wt[wi], x[row + u32(iw)], acc); }
          wi++;
        }
      }
    }
  }
  part[li] = acc;
  workgroupBarrier();
  if (lane == 0u && pix < pixels && r < coutG) {
    var v = part[li];
    for (var l = 1u; l < LANES; l++) { v += part[li + l * PER_LANE]; }
    let co = grp * coutG + r;
    if (p.hasBias != 0u) { v += bias[co]; }
    let ow = pix % p.ow;
    let oh = (pix / p.ow) % p.oh;
    let nb = pix / (p.ow * p.oh);
    y[((nb * p.cout + co) * p.oh + oh) * p.ow + ow] = clamp(v, p.lo, p.hi);
  }
}
