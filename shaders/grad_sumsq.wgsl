// grad_sumsq: the sum of squares of one gradient tensor g [n] as `groups`
// partial sums: workgroup w writes partials[slot + w] (a fixed order; each
// tensor owns its slots, so no atomics). grad_clip_scale adds them up.
struct Params { n: u32, slot: u32, groups: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let l = lid.x;
  var s = 0.0;
  for (var i = wg.x * 256u + l; i < p.n; i += p.groups * 256u) { s += g[i] * g[i]; }
  red[l] = s;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (l < k) { red[l] += red[l + k]; }
    workgroupBarrier();
  }
  if (l == 0u) { partials[p.slot + wg.x] = red[0]; }
}
