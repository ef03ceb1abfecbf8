// The bindings softmax_xent and softmax_xent_rows share: logits [m, c],
// labels u32 [m], probs [m, c], loss [m]; rows from row0 (a time slice).
struct Params { m: u32, c: u32, row0: u32, _b: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
