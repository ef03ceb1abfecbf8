// embedding_backward_wpe: dwpe[t, :] += sum over b (in order) of dout[b, t, :]
// for dout [B, T, C]. One invocation per (t, column).
struct Params { b: u32, t: u32, c: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> dwpe: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.t * p.c) { return; }
  let stride = p.t * p.c;
  var s = 0.0;
  for (var b = 0u; b < p.b; b++) { s += dout[b * stride + i]; }
  dwpe[i] += s;
}
