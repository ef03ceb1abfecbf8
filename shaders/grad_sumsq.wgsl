// grad_sumsq: the sum of squares of one gradient tensor g [n] as `groups`
// partial sums: workgroup w writes partials[slot + w] (a fixed order; each
// tensor owns its slots, so no atomics). grad_clip_scale adds them up.
struct Params { n: u32, slot: u32, groups: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

//! include workgroup_sum256.wgsl

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let l = lid.x;
  var s = 0.0;
  for (var i = wg.x * 256u + l; i < p.n; i += p.groups * 256u) { s += g[i] * g[i]; }
  let total = workgroupSum256(l, s);
  if (l == 0u) { partials[p.slot + wg.x] = total; }
}
