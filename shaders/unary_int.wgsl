// unary_int: elementwise ops on i32 (int32, and int64 held as i32) and bool:
// 0 neg, 1 abs, 2 clip to [alpha, beta] (given as f32, exact for |v| < 2^24), 3 bool not.
struct Params { n: u32, op: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let v = bitcast<i32>(x[i]);
  switch (p.op) {
    case 0u: { y[i] = bitcast<u32>(-v); }
    case 1u: { y[i] = bitcast<u32>(abs(v)); }
    case 2u: { y[i] = bitcast<u32>(clamp(v, i32(p.alpha), i32(p.beta))); }
    default: { y[i] = select(1u, 0u, x[i] != 0u); }
  }
}
