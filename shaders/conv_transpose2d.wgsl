// conv_transpose2d: one output element per invocation, gathering the inputs
// that scatter into it: oh = ih*sh - ph + kh*dh. Weights [Cin, Cout/g, KH, KW],
// input [N, Cin, H, W], output [N, Cout, OH, OW].
//! include conv_params.wgsl

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
  let cog = co % coutG;
  var acc = 0.0;
  if (p.hasBias != 0u) { acc = bias[co]; }
  for (var ci = g * cinG; ci < (g + 1u) * cinG; ci++) {
    for (var kh = 0u; kh < p.kh; kh++) {
      let th = i32(oh) + i32(p.ph) - i32(kh * p.dh);
      if (th < 0 || th % i32(p.sh) != 0) { continue; }
      let ih = u32(th) / p.sh;
      if (ih >= p.h) { continue; }
      for (var kw = 0u; kw < p.kw; kw++) {
        let tw = i32(ow) + i32(p.pw) - i32(kw * p.dw);
        if (tw < 0 || tw % i32(p.sw) != 0) { continue; }
        let iw = u32(tw) / p.sw;
        if (iw >= p.w) { continue; }
        acc = fma(x[((nb * p.cin + ci) * p.h + ih) * p.w + iw], wt[((ci * coutG + cog) * p.kh + kh) * p.kw + kw], acc);
      }
    }
  }
  y[i] = acc;
}
