// strided_copy: for every index k of an iteration shape (rank <= 8),
// y[yOff + sum k_d * ys_d] = x[xOff + sum k_d * xs_d]. Transpose, Expand,
// Slice (negative steps through signed strides), Concat, Split, Tile and
// Gemm's bias broadcast are all this one move. Values are u32 bit patterns.
struct Params { n: u32, rank: u32, xOff: u32, yOff: u32, dims: array<vec4u, 2>, xs: array<vec4i, 2>, ys: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var ix = i32(p.xOff);
  var iy = p.yOff;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let dim = p.dims[q][r];
    let k = rem % dim;
    rem = rem / dim;
    ix += i32(k) * p.xs[q][r];
    iy += k * p.ys[q][r];
  }
  y[iy] = x[u32(ix)];
}
