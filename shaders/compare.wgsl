// compare: bool (0/1) y = a (op) b: 7 equal, 8 less, 9 greater,
// 10 less-or-equal, 11 greater-or-equal on f32 (isInt 0) or i32 (isInt 1);
// 12 and, 13 or, 14 xor on bool.
//! include binary_operands.wgsl

// Each relation is asked of the hardware, not derived from the others: with a
// NaN operand every one of lt, eq, gt is false, and so is every result (ONNX).
fn cmp(lt: bool, eq: bool, gt: bool) -> bool {
  switch (p.op) {
    case 7u: { return eq; }
    case 8u: { return lt; }
    case 9u: { return gt; }
    case 10u: { return lt || eq; }
    default: { return gt || eq; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = element(gid, nwg);
  if (i >= p.n) { return; }
  let o = operands(i);
  let ia = o.x;
  let ib = o.y;
  let u = a[ia];
  let v = b[ib];
  var r: bool;
  if (p.op >= 12u) {
    let l = u != 0u;
    let m = v != 0u;
    r = select(select(l != m, l || m, p.op == 13u), l && m, p.op == 12u);
  } else if (p.isInt != 0u) {
    let x = bitcast<i32>(u);
    let z = bitcast<i32>(v);
    r = cmp((x < z), (x == z), (x > z));
  } else {
    let x = bitcast<f32>(u);
    let z = bitcast<f32>(v);
    r = cmp((x < z), (x == z), (x > z));
  }
  y[i] = select(0u, 1u, r);
}
