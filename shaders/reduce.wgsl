// reduce: one output per invocation. The output index is decomposed over the
// kept dims (od/os: sizes and input strides), then the reduced dims (rd/rs)
// are walked. op: 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 sum of squares,
// 6 log-sum-exp, 7 L1, 8 L2. contiguous != 0: the reduced dims are the
// trailing block, so output i reads x[i * count + j] (no index decomposition).
struct Params {
  n: u32, count: u32, keptRank: u32, redRank: u32,
  op: u32, contiguous: u32, _b: u32, _c: u32,
  od: array<vec4u, 2>, os: array<vec4u, 2>, rd: array<vec4u, 2>, rs: array<vec4u, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn at(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  var rem = i;
  var base = 0u;
  if (p.contiguous != 0u) { rem = 0u; base = i * p.count; }
  for (var d = select(i32(p.keptRank) - 1, -1, p.contiguous != 0u); d >= 0; d--) {
    let dim = at(p.od, u32(d));
    base += (rem % dim) * at(p.os, u32(d));
    rem = rem / dim;
  }
  var mx = -3.4028234663852886e38;
  if (p.op == 6u) {
    for (var j = 0u; j < p.count; j++) {
      var r = j;
      var off = base + select(0u, j, p.contiguous != 0u);
      for (var d = select(i32(p.redRank) - 1, -1, p.contiguous != 0u); d >= 0; d--) {
        let dim = at(p.rd, u32(d));
        off += (r % dim) * at(p.rs, u32(d));
        r = r / dim;
      }
      mx = max(mx, x[off]);
    }
  }
  var acc = 0.0;
  switch (p.op) {
    case 2u: { acc = -3.4028234663852886e38; }
    case 3u: { acc = 3.4028234663852886e38; }
    case 4u: { acc = 1.0; }
    default: { acc = 0.0; }
  }
  for (var j = 0u; j < p.count; j++) {
    var r = j;
    var off = base + select(0u, j, p.contiguous != 0u);
    for (var d = select(i32(p.redRank) - 1, -1, p.contiguous != 0u); d >= 0; d--) {
      let dim = at(p.rd, u32(d));
      off += (r % dim) * at(p.rs, u32(d));
      r = r / dim;
    }
    let v = x[off];
    switch (p.op) {
      case 2u: { acc = max(acc, v); }
      case 3u: { acc = min(acc, v); }
      case 4u: { acc *= v; }
      case 5u, 8u: { acc += v * v; }
      case 6u: { acc += exp(v - mx); }
      case 7u: { acc += abs(v); }
      default: { acc += v; }
    }
  }
  if (p.op == 1u) { acc /= f32(p.count); }
  if (p.op == 6u) { acc = mx + log(acc); }
  if (p.op == 8u) { acc = sqrt(acc); }
  y[i] = acc;
}
