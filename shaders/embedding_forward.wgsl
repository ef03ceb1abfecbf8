// embedding_forward: out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :] for
// tokens u32 [B, T], wte [V, C], wpe [>= T, C], out [B, T, C]. A token >= V
// writes a NaN row (a bad token is loud). One invocation per output element.
struct Params { n: u32, t: u32, c: u32, v: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(2) var<storage, read_write> wte: array<f32>;
@group(0) @binding(3) var<storage, read_write> wpe: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

//! include float_bits.wgsl

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n * p.c) { return; }
  let row = i / p.c;
  let col = i % p.c;
  let tok = tokens[row];
  if (tok >= p.v) {
    out[i] = runtimeNan(tok);
    return;
  }
  out[i] = wte[tok * p.c + col] + wpe[(row % p.t) * p.c + col];
}
