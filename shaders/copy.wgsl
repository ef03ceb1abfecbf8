// copy: moves n words inside one binding, from word src to word dst. The
// caller guarantees the two spans do not overlap (WebGPU cannot copy within
// one buffer with copyBufferToBuffer).
struct Params { src: u32, dst: u32, n: u32, _a: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> mem: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < p.n) { mem[p.dst + i] = mem[p.src + i]; }
}
