// trilu: keep the upper (j - i >= k) or lower (j - i <= k) triangle of the
// trailing [rows, cols] matrices, zero elsewhere. Any 4-byte type.
struct Params { n: u32, rows: u32, cols: u32, upper: u32, k: i32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let j = i32(i % p.cols);
  let r = i32((i / p.cols) % p.rows);
  let keep = select(j - r <= p.k, j - r >= p.k, p.upper != 0u);
  y[i] = select(0u, x[i], keep);
}
