// gather: y[o, j, r] = x[o, idx[j], r] for x viewed as [outer, axisLen, inner]
// and idx flattened to nIdx entries (i32; negative counts from the end;
// out-of-range indices are clamped, the op checks constant indices on the host).
struct Params { n: u32, axisLen: u32, nIdx: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let r = i % p.inner;
  let j = (i / p.inner) % p.nIdx;
  let o = i / (p.inner * p.nIdx);
  var g = idx[j];
  if (g < 0) { g += i32(p.axisLen); }
  let gi = u32(clamp(g, 0, i32(p.axisLen) - 1));
  y[i] = x[(o * p.axisLen + gi) * p.inner + r];
}
