// cast between the 4-byte device types: 0 f32, 1 i32 (int64 is held as i32), 2 bool (u32 0/1).
// f32 -> int truncates toward zero; anything -> bool is (x != 0).
struct Params { n: u32, src: u32, dst: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let b = x[i];
  var v: f32;
  switch (p.src) {
    case 0u: { v = bitcast<f32>(b); }
    case 1u: { v = f32(bitcast<i32>(b)); }
    default: { v = f32(b); }
  }
  switch (p.dst) {
    case 0u: { y[i] = bitcast<u32>(v); }
    case 1u: {
      if (p.src == 0u) { y[i] = bitcast<u32>(i32(trunc(v))); } else { y[i] = b; }
    }
    default: { y[i] = select(0u, 1u, v != 0.0); }
  }
}
