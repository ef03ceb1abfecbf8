// embedding_backward_wte: dwte[v, :] += sum of dout[r, :] over the rows r whose
// token is v, without atomics: `order` holds the row ids sorted by token
// (stable) and segments[u] .. segments[u + 1] is the run of the u-th distinct
// token (built on the host, src/kernels/embedding.ts). One invocation per
// (distinct token, column) adds its rows in order: the same bits every run.
struct Params { u: u32, c: u32, v: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(3) var<storage, read_write> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> segments: array<u32>;
@group(0) @binding(5) var<storage, read_write> dwte: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.u * p.c) { return; }
  let u = i / p.c;
  let col = i % p.c;
  let start = segments[u];
  let end = segments[u + 1u];
  let tok = tokens[order[start]];
  if (tok >= p.v) { return; }
  var s = 0.0;
  for (var k = start; k < end; k++) { s += dout[order[k] * p.c + col]; }
  dwte[tok * p.c + col] += s;
}
