// kv_gather: one (layer, k|v) plane of a decoder's padded past [rows, heads,
// past, headDim] gathered on the GPU from the paged KV cache's blocks
// (src/llm/kv-cache.ts, src/kernels/kv-gather.ts). A block holds blockTokens
// positions, token-major: [token][layer][k|v][head][headDim] words; the
// plane's words of a token start at planeWord.
// table[b] is row b's cached length; table[rows + b * maxBlocks + j] is the
// word offset in src of row b's j-th block, or SKIP when that block lies
// outside this launch's src range (another launch writes it). Positions at or
// past a row's length are written 0 (padding, masked by the attention bias).
// Every binding is read_write: WebGPU refuses read-only and writable storage
// use of one buffer in a dispatch, so the three ranges must not overlap.
struct Params { n: u32, heads: u32, past: u32, headDim: u32, blockTokens: u32, tokenWords: u32, planeWord: u32, maxBlocks: u32, rows: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> table: array<u32>;
@group(0) @binding(2) var<storage, read_write> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

const SKIP = 0xffffffffu;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let d = i % p.headDim;
  let t = (i / p.headDim) % p.past;
  let h = (i / (p.headDim * p.past)) % p.heads;
  let b = i / (p.headDim * p.past * p.heads);
  if (t >= table[b]) {
    dst[i] = 0u;
    return;
  }
  let block = table[p.rows + b * p.maxBlocks + t / p.blockTokens];
  if (block == SKIP) { return; }
  dst[i] = src[block + (t % p.blockTokens) * p.tokenWords + p.planeWord + h * p.headDim + d];
}
