// conv2d: four output channels (of one group) of one output pixel per
// invocation, no workgroup memory (on SwiftShader every barrier is a fiber
// switch; caches do the reuse). Weights [Cout, Cin/g, KH, KW], input
// [N, Cin, H, W], output [N, Cout, OH, OW]. Invocation x = pixel, y = quad of
// output channels across all groups.
struct Params {
  n: u32, cin: u32, h: u32, w: u32,
  cout: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: u32, pw: u32, dh: u32, dw: u32,
  hasBias: u32, total: u32, _b: u32, _c: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let pix = gid.x;
  let coutG = p.cout / p.groups;
  let quads = (coutG + 3u) / 4u;
  let g = gid.y / quads;
  let c0 = (gid.y % quads) * 4u;
  if (pix >= p.n * p.oh * p.ow || g >= p.groups) { return; }
  let ow = pix % p.ow;
  let oh = (pix / p.ow) % p.oh;
  let nb = pix / (p.ow * p.oh);
  let cinG = p.cin / p.groups;
  let kSize = cinG * p.kh * p.kw;
  let co0 = g * coutG + c0;
  let co1 = g * coutG + min(c0 + 1u, coutG - 1u);
  let co2 = g * coutG + min(c0 + 2u, coutG - 1u);
  let co3 = g * coutG + min(c0 + 3u, coutG - 1u);
  let ih0 = i32(oh * p.sh) - i32(p.ph);
  let iw0 = i32(ow * p.sw) - i32(p.pw);
  var acc = vec4f(0.0);
  for (var kh = 0u; kh < p.kh; kh++) {
    let ih = ih0 + i32(kh * p.dh);
    if (ih < 0 || ih >= i32(p.h)) { continue; }
    for (var kw = 0u; kw < p.kw; kw++) {
      let iw = iw0 + i32(kw * p.dw);
      if (iw < 0 || iw >= i32(p.w)) { continue; }
      var xi = ((nb * p.cin + g * cinG) * p.h + u32(ih)) * p.w + u32(iw);
      var wi = kh * p.kw + kw;
      let xStep = p.h * p.w;
      let wStep = p.kh * p.kw;
      for (var ci = 0u; ci < cinG; ci++) {
        let v = x[xi];
        acc = fma(vec4f(v), vec4f(wt[co0 * kSize + wi], wt[co1 * kSize + wi], wt[co2 * kSize + wi], wt[co3 * kSize + wi]), acc);
        xi += xStep;
        wi += wStep;
      }
    }
  }
  let plane = p.oh * p.ow;
  let sp = oh * p.ow + ow;
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c < coutG) {
      let co = g * coutG + c;
      var v = acc[j];
      if (p.hasBias != 0u) { v += bias[co]; }
      y[(nb * p.cout + co) * plane + sp] = v;
    }
  }
}
