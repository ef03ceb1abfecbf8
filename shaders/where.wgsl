// where: y = cond ? x : z with numpy broadcasting over three inputs, rank <= 8.
// Values are u32 bit patterns (any 4-byte type); cond is bool (0/1).
struct Params { n: u32, rank: u32, _a: u32, _b: u32, dims: array<vec4u, 2>, sc: array<vec4u, 2>, sx: array<vec4u, 2>, sz: array<vec4u, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<u32>;
@group(0) @binding(3) var<storage, read_write> z: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var ic = 0u;
  var ix = 0u;
  var iz = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let dim = p.dims[q][r];
    let k = rem % dim;
    rem = rem / dim;
    ic += k * p.sc[q][r];
    ix += k * p.sx[q][r];
    iz += k * p.sz[q][r];
  }
  y[i] = select(z[iz], x[ix], c[ic] != 0u);
}
