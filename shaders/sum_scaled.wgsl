// sum_scaled: out[0] = alpha * sum(x[0 .. n]) in one 256-invocation workgroup,
// a fixed order (the mean loss: alpha = 1 / target tokens).
struct Params { n: u32, alpha: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

//! include workgroup_sum256.wgsl

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let l = lid.x;
  var s = 0.0;
  for (var i = l; i < p.n; i += 256u) { s += x[i]; }
  let total = workgroupSum256(l, s);
  if (l == 0u) { out[0] = p.alpha * total; }
}
