// conv2d_direct: one output element per invocation; for depthwise and
// other convolutions with few output channels per group (bias and a fused
// Relu/Clip clamp to [lo, hi] in the epilogue), where the tiled
// implicit GEMM (conv2d) would leave most of its rows idle.
// Weights [Cout, Cin/g, KH, KW], input [N, Cin, H, W], output [N, Cout, OH, OW].
struct Params {
  n: u32, cin: u32, h: u32, w: u32,
  cout: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: u32, pw: u32, dh: u32, dw: u32,
  hasBias: u32, total: u32, lo: f32, hi: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  let ow = i % p.ow;
  let oh = (i / p.ow) % p.oh;
  let co = (i / (p.ow * p.oh)) % p.cout;
  let nb = i / (p.ow * p.oh * p.cout);
  let coutG = p.cout / p.groups;
  let cinG = p.cin / p.groups;
  let g = co / coutG;
  var acc = 0.0;
  if (p.hasBias != 0u) { acc = bias[co]; }
  for (var ci = 0u; ci < cinG; ci++) {
    let xBase = (nb * p.cin + g * cinG + ci) * p.h;
    let wBase = (co * cinG + ci) * p.kh;
    for (var kh = 0u; kh < p.kh; kh++) {
      let ih = i32(oh * p.sh + kh * p.dh) - i32(p.ph);
      if (ih < 0 || ih >= i32(p.h)) { continue; }
      for (var kw = 0u; kw < p.kw; kw++) {
        let iw = i32(ow * p.sw + kw * p.dw) - i32(p.pw);
        if (iw < 0 || iw >= i32(p.w)) { continue; }
        acc = fma(x[(xBase + u32(ih)) * p.w + u32(iw)], wt[(wBase + kh) * p.kw + kw], acc);
      }
    }
  }
  y[i] = clamp(acc, p.lo, p.hi);
}
