// unary: y[i] = f(x[i]) for the elementwise ONNX ops, chosen by p.op.
// Values travel as u32 bit patterns; ops 20.. read and write i32 / bool.
// alpha, beta: LeakyRelu/Elu alpha, Clip min/max, HardSigmoid alpha/beta.
struct Params { n: u32, op: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

// erf: a Maclaurin series below 0.5, 1 - erfc (Chebyshev fit) above; |error| < 1.2e-7.
fn erf_(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.5) { return erf_small(v); }
  return sign(v) * (1.0 - erfc_large(a));
}

fn erf_small(v: f32) -> f32 {
  // Maclaurin series is exact enough below 0.5 with 7 terms.
  let t = v * v;
  var s = 0.0;
  var term = v;
  var k = 0u;
  loop {
    s += term / f32(2u * k + 1u);
    k += 1u;
    if (k >= 9u) { break; }
    term = -term * t / f32(k);
  }
  return 1.1283791670955126 * s;
}

// erfc(a) for a >= 0.5: exp(-a^2) times a continued-fraction-like rational fit.
fn erfc_large(a: f32) -> f32 {
  if (a > 9.0) { return 0.0; }
  // Numerical Recipes erfcc (Chebyshev fit), fractional error < 1.2e-7.
  let t = 1.0 / (1.0 + 0.5 * a);
  let r = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
          t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
          t * (-0.82215223 + t * 0.17087277)))))))));
  return r;
}

fn f(v: f32) -> f32 {
  switch (p.op) {
    case 0u: { return max(v, 0.0); }
    case 1u: { return select(v * p.alpha, v, v >= 0.0); }
    case 2u: { return 1.0 / (1.0 + exp(-v)); }
    case 3u: { return tanh(clamp(v, -15.0, 15.0)); }
    case 4u: { return min(max(v, p.alpha), p.beta); }
    case 5u: { return clamp(p.alpha * v + p.beta, 0.0, 1.0); }
    case 6u: { return v * clamp(v / 6.0 + 0.5, 0.0, 1.0); }
    case 7u: { return 0.5 * v * (1.0 + erf_(v * 0.70710678118654752)); }
    case 8u: { return erf_(v); }
    case 9u: { return exp(v); }
    case 10u: { return log(v); }
    case 11u: { return sqrt(v); }
    case 12u: { return -v; }
    case 13u: { return abs(v); }
    case 14u: { return v; }
    case 15u: { return 1.0 / v; }
    case 16u: { return floor(v); }
    case 17u: { return ceil(v); }
    case 18u: {
      let u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
      return 0.5 * v * (1.0 + tanh(clamp(u, -15.0, 15.0)));
    }
    case 19u: { return select(p.alpha * (exp(v) - 1.0), v, v >= 0.0); }
    default: { return v; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let b = x[i];
  switch (p.op) {
    case 20u: { y[i] = bitcast<u32>(-bitcast<i32>(b)); }
    case 21u: { y[i] = bitcast<u32>(abs(bitcast<i32>(b))); }
    case 22u: { y[i] = select(1u, 0u, b != 0u); }
    case 23u: { y[i] = bitcast<u32>(clamp(bitcast<i32>(b), i32(p.alpha), i32(p.beta))); }
    default: { y[i] = bitcast<u32>(f(bitcast<f32>(b))); }
  }
}
