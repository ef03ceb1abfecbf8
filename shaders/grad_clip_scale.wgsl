// grad_clip_scale: norm = sqrt(sum of partials[0 .. count]); clip[0] = norm,
// clip[1] = min(1, maxNorm / (norm + 1e-6)) as torch's clip_grad_norm_ (1 when
// maxNorm is 0: no clipping; NaN when the norm is NaN). One workgroup.
struct Params { count: u32, maxNorm: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> clip: array<f32>;

//! include float_bits.wgsl

//! include workgroup_sum256.wgsl

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let l = lid.x;
  var s = 0.0;
  for (var i = l; i < p.count; i += 256u) { s += partials[i]; }
  let norm = sqrt(workgroupSum256(l, s));
  if (l == 0u) {
    var coef = 1.0;
    if (p.maxNorm > 0.0) { coef = min(1.0, p.maxNorm / (norm + 1e-6)); }
    if (isNan(norm)) { coef = norm; }
    clip[0] = norm;
    clip[1] = coef;
  }
}
