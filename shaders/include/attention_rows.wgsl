// The attention kernels' Params and row offsets (layouts in attention_forward.wgsl):
// lane bh = b * H + h; qkv [B, T, 3C] holds q | k | v per row, head h at columns h*D .. (h+1)*D.
struct Params { b: u32, t: u32, h: u32, d: u32, scale: f32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;

// Where row `row`'s q of lane bh starts in qkv (its k is C further on, its v 2C).
fn qkvRow(bh: u32, row: u32) -> u32 {
  return ((bh / p.h) * p.t + row) * 3u * p.h * p.d + (bh % p.h) * p.d;
}

// Where row `row` of lane bh starts in y or dy [B, T, C].
fn headRow(bh: u32, row: u32) -> u32 {
  return ((bh / p.h) * p.t + row) * p.h * p.d + (bh % p.h) * p.d;
}
