// cast between the 4-byte device types: 0 f32, 1 i32 (int64 is held as i32),
// 2 bool (u32 0/1), 3 u32, 4 float16 (held as f32: a cast to it rounds to the
// nearest float16, beyond 65504 to infinity).
// f32 -> i32 truncates toward zero (saturating); f32 -> u32 truncates, a
// negative value wraps as its i32 does; i32 <-> u32 <-> bool-free integer
// casts keep the bits (ONNX's wrap modulo 2^32); anything -> bool is (x != 0).
struct Params { n: u32, src: u32, dst: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

fn to_half(v: f32) -> f32 {
  if (v != v) { return v; }
  if (abs(v) >= 65520.0) { return bitcast<f32>((bitcast<u32>(v) & 0x80000000u) | 0x7f800000u); }
  return unpack2x16float(pack2x16float(vec2f(v, 0.0))).x;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let b = x[i];
  let fromFloat = p.src == 0u || p.src == 4u;
  var v: f32;
  if (fromFloat) { v = bitcast<f32>(b); } else if (p.src == 1u) { v = f32(bitcast<i32>(b)); } else { v = f32(b); }
  switch (p.dst) {
    case 0u: { y[i] = bitcast<u32>(v); }
    case 4u: { y[i] = bitcast<u32>(to_half(v)); }
    case 1u: { y[i] = select(b, bitcast<u32>(i32(trunc(v))), fromFloat); }
    case 3u: { y[i] = select(b, select(bitcast<u32>(i32(trunc(v))), u32(trunc(v)), v >= 0.0), fromFloat); }
    default: { y[i] = select(0u, 1u, v != 0.0); }
  }
}
