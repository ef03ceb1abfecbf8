// pool2d: MaxPool (mode 0) or AveragePool (mode 1) over [N*C, H, W] planes,
// one output per invocation. Padding cells are skipped by max; average
// divides by the window cells inside the input (or all of them when
// countPad), clipped to the padded extent as ONNX Runtime does.
struct Params {
  planes: u32, h: u32, w: u32, oh: u32,
  ow: u32, kh: u32, kw: u32, sh: u32,
  sw: u32, ph: u32, pw: u32, dh: u32,
  dw: u32, mode: u32, countPad: u32, total: u32,
  phEnd: u32, pwEnd: u32, _a: u32, _b: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  let ow = i % p.ow;
  let oh = (i / p.ow) % p.oh;
  let plane = i / (p.ow * p.oh);
  let base = plane * p.h * p.w;
  let hs = i32(oh * p.sh) - i32(p.ph);
  let ws = i32(ow * p.sw) - i32(p.pw);
  var m = -3.4028234663852886e38; // -inf
  var s = 0.0;
  var cnt = 0u;
  for (var kh = 0u; kh < p.kh; kh++) {
    let ih = hs + i32(kh * p.dh);
    if (ih < 0 || ih >= i32(p.h)) { continue; }
    for (var kw = 0u; kw < p.kw; kw++) {
      let iw = ws + i32(kw * p.dw);
      if (iw < 0 || iw >= i32(p.w)) { continue; }
      let v = x[base + u32(ih) * p.w + u32(iw)];
      m = max(m, v);
      s += v;
      cnt += 1u;
    }
  }
  if (p.mode == 0u) { y[i] = m; return; }
  if (p.countPad != 0u) {
    // window clipped to the padded input [-ph, h + phEnd)
    let h0 = max(hs, -i32(p.ph));
    let h1 = min(hs + i32((p.kh - 1u) * p.dh) + 1, i32(p.h + p.phEnd));
    let w0 = max(ws, -i32(p.pw));
    let w1 = min(ws + i32((p.kw - 1u) * p.dw) + 1, i32(p.w + p.pwEnd));
    let cells = ((h1 - h0 + i32(p.dh) - 1) / i32(p.dh)) * ((w1 - w0 + i32(p.dw) - 1) / i32(p.dw));
    y[i] = s / f32(cells);
  } else {
    y[i] = s / f32(max(cnt, 1u));
  }
}
