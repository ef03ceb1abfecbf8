// binary: y = a (op) b with numpy broadcasting, rank <= 8. Values are u32
// bit patterns; p.isInt selects i32 arithmetic. Comparisons write bool (0/1).
// sa/sb are the strides of a and b over the output shape (0 where broadcast).
struct Params { n: u32, op: u32, isInt: u32, rank: u32, dims: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<u32>;
@group(0) @binding(2) var<storage, read_write> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

fn powf(x: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  if (e == 1.0) { return x; }
  if (e == 2.0) { return x * x; }
  if (e == 3.0) { return x * x * x; }
  if (e == 0.5) { return sqrt(x); }
  if (x < 0.0 && e == round(e)) {
    let m = pow(-x, e);
    return select(m, -m, (i32(e) & 1) != 0);
  }
  return pow(x, e);
}

fn ff(x: f32, z: f32) -> u32 {
  switch (p.op) {
    case 0u: { return bitcast<u32>(x + z); }
    case 1u: { return bitcast<u32>(x - z); }
    case 2u: { return bitcast<u32>(x * z); }
    case 3u: { return bitcast<u32>(x / z); }
    case 4u: { return bitcast<u32>(powf(x, z)); }
    case 5u: { return bitcast<u32>(min(x, z)); }
    case 6u: { return bitcast<u32>(max(x, z)); }
    case 7u: { return select(0u, 1u, x == z); }
    case 8u: { return select(0u, 1u, x < z); }
    case 9u: { return select(0u, 1u, x > z); }
    case 10u: { return select(0u, 1u, x <= z); }
    case 11u: { return select(0u, 1u, x >= z); }
    default: { return 0u; }
  }
}

fn fi(x: i32, z: i32) -> u32 {
  switch (p.op) {
    case 0u: { return bitcast<u32>(x + z); }
    case 1u: { return bitcast<u32>(x - z); }
    case 2u: { return bitcast<u32>(x * z); }
    case 3u: { return bitcast<u32>(select(x / z, 0, z == 0)); }
    case 4u: { return bitcast<u32>(i32(round(powf(f32(x), f32(z))))); }
    case 5u: { return bitcast<u32>(min(x, z)); }
    case 6u: { return bitcast<u32>(max(x, z)); }
    case 7u: { return select(0u, 1u, x == z); }
    case 8u: { return select(0u, 1u, x < z); }
    case 9u: { return select(0u, 1u, x > z); }
    case 10u: { return select(0u, 1u, x <= z); }
    case 11u: { return select(0u, 1u, x >= z); }
    case 12u: { return select(0u, 1u, x != 0 && z != 0); }
    case 13u: { return select(0u, 1u, x != 0 || z != 0); }
    case 14u: { return select(0u, 1u, (x != 0) != (z != 0)); }
    default: { return 0u; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let dim = p.dims[q][r];
    let k = rem % dim;
    rem = rem / dim;
    ia += k * p.sa[q][r];
    ib += k * p.sb[q][r];
  }
  if (p.isInt != 0u) { y[i] = fi(bitcast<i32>(a[ia]), bitcast<i32>(b[ib])); }
  else { y[i] = ff(bitcast<f32>(a[ia]), bitcast<f32>(b[ib])); }
}
