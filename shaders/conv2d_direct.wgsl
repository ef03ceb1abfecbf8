// conv2d_direct: for depthwise and other convolutions with few output
// channels per group. One output channel and four neighbouring output pixels
// of one row per invocation: each weight is loaded once for four FMAs.
// Weights [Cout, Cin/g, KH, KW], input [N, Cin, H, W], output [N, Cout, OH, OW];
// the epilogue adds the bias and clamps to [lo, hi] (a fused Relu or Clip).
//! include conv_params.wgsl

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let owq = (p.ow + 3u) / 4u;
  if (i >= p.n * p.cout * p.oh * owq) { return; }
  let ow0 = (i % owq) * 4u;
  let oh = (i / owq) % p.oh;
  let co = (i / (owq * p.oh)) % p.cout;
  let nb = i / (owq * p.oh * p.cout);
  let coutG = p.cout / p.groups;
  let cinG = p.cin / p.groups;
  let g = co / coutG;
  var acc = vec4f(0.0);
  let iwLast = i32(p.w) - 1;
  for (var ci = 0u; ci < cinG; ci++) {
    let xBase = (nb * p.cin + g * cinG + ci) * p.h;
    let wBase = (co * cinG + ci) * p.kh;
    for (var kh = 0u; kh < p.kh; kh++) {
      let ih = i32(oh * p.sh + kh * p.dh) - i32(p.ph);
      if (ih < 0 || ih >= i32(p.h)) { continue; }
      let row = (xBase + u32(ih)) * p.w;
      for (var kw = 0u; kw < p.kw; kw++) {
        let iw = vec4i(vec4u(ow0, ow0 + 1u, ow0 + 2u, ow0 + 3u) * p.sw + kw * p.dw) - i32(p.pw);
        let m = select(vec4f(0.0), vec4f(1.0), (iw >= vec4i(0)) & (iw <= vec4i(iwLast)));
        let xi = vec4u(row) + vec4u(clamp(iw, vec4i(0), vec4i(iwLast)));
        let xv = vec4f(x[xi.x], x[xi.y], x[xi.z], x[xi.w]) * m;
        acc = fma(xv, vec4f(wt[(wBase + kh) * p.kw + kw]), acc);
      }
    }
  }
  if (p.hasBias != 0u) { acc += vec4f(bias[co]); }
  acc = clamp(acc, vec4f(p.lo), vec4f(p.hi));
  let o = ((nb * p.cout + co) * p.oh + oh) * p.ow;
  for (var j = 0u; j < 4u; j++) {
    if (ow0 + j < p.ow) { y[o + ow0 + j] = acc[j]; }
  }
}
