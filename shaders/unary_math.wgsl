// unary_math: the transcendental elementwise ops, chosen by p.op
// (0 sigmoid, 1 tanh, 2 exp, 3 log, 4 sqrt, 5 elu(alpha), 6 gelu with the tanh approximation).
struct Params { n: u32, op: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn f(v: f32) -> f32 {
  switch (p.op) {
    case 0u: { return 1.0 / (1.0 + exp(-v)); }
    case 1u: { return tanh(clamp(v, -15.0, 15.0)); }
    case 2u: { return exp(v); }
    case 3u: { return log(v); }
    case 4u: { return sqrt(v); }
    case 5u: { return select(p.alpha * (exp(v) - 1.0), v, v >= 0.0); }
    default: {
      let u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
      return 0.5 * v * (1.0 + tanh(clamp(u, -15.0, 15.0)));
    }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  y[i] = bitcast<u32>(f(bitcast<f32>(x[i])));
}
