// unary: y[i] = f(x[i]) for the cheap elementwise ONNX ops (no
// transcendentals), chosen by p.op. The op families live in separate kernels
// (unary_math, erf, unary_int) because SwiftShader pays for every case of a
// switch: a 20-case kernel ran 4x slower than a 5-case one.
// alpha, beta: LeakyRelu alpha, Clip min/max, HardSigmoid alpha/beta.
struct Params { n: u32, op: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn f(v: f32) -> f32 {
  switch (p.op) {
    case 0u: { return max(v, 0.0); }
    case 1u: { return select(v * p.alpha, v, v >= 0.0); }
    case 2u: { return min(max(v, p.alpha), p.beta); }
    case 3u: { return clamp(p.alpha * v + p.beta, 0.0, 1.0); }
    case 4u: { return v * clamp(v / 6.0 + 0.5, 0.0, 1.0); }
    case 5u: { return -v; }
    case 6u: { return abs(v); }
    case 7u: { return 1.0 / v; }
    case 8u: { return floor(v); }
    case 9u: { return ceil(v); }
    default: { return v; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = bitcast<u32>(f(bitcast<f32>(x[i])));
}
