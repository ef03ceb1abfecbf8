// pad: y over the padded shape (rank <= 8); each output index maps back to
// input index k - begin. mode 0 constant (value), 1 reflect, 2 edge.
struct Params { n: u32, rank: u32, mode: u32, value: u32, od: array<vec4u, 2>, xd: array<vec4u, 2>, begin: array<vec4i, 2> }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var off = 0u;
  var stride = 1u;
  var inside = true;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let od = p.od[q][r];
    let xd = i32(p.xd[q][r]);
    var k = i32(rem % od) - p.begin[q][r];
    rem = rem / od;
    if (k < 0 || k >= xd) {
      if (p.mode == 0u) { inside = false; }
      else if (p.mode == 1u) {
        let period = max(2 * (xd - 1), 1);
        k = abs(k) % period;
        if (k >= xd) { k = period - k; }
      } else { k = clamp(k, 0, xd - 1); }
    }
    off += u32(k) * stride;
    stride *= u32(xd);
  }
  y[i] = select(p.value, x[off], inside);
}
