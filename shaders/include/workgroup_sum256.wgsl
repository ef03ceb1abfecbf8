// The sum of one f32 per lane over a 256-invocation workgroup, as a fixed tree
// (the same bits every run); every lane gets the total. Call from uniform control flow.
var<workgroup> sum256: array<f32, 256>;

fn workgroupSum256(l: u32, v: f32) -> f32 {
  sum256[l] = v;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (l < k) { sum256[l] += sum256[l + k]; }
    workgroupBarrier();
  }
  let total = sum256[0];
  workgroupBarrier();
  return total;
}
