// The decoder's past gathered on the GPU: the paged KV cache's blocks stay
// where they are, and a run's past_k_l / past_v_l inputs [rows, heads, P,
// headDim] are written in the run's workspace by kv_gather launches through a
// block table (src/kernels/kv-gather.ts), so a step uploads only its new
// tokens and the table instead of the whole padded past.
//
// A launch reads its blocks through one src binding, which must not overlap
// the workspace it writes nor the table (WebGPU refuses a writable storage
// binding that aliases another one of the same buffer, and read-only beside
// writable use of one buffer in a dispatch). So the blocks are grouped by
// backing and by the gap between those excluded page ranges they lie in, one
// src range per group ("segment"), narrowed to the blocks it holds; each
// segment has its table (offsets relative to its start; blocks of other
// segments are KV_SKIP) and one launch per plane.
import type { Backing, GpuDevice, Range } from '../core/device.js';
import { KV_SKIP, kvGather, kvTableWords, type KvGatherGeometry } from '../kernels/kv-gather.js';
import { pastName, type KvShape } from './cache.js';
import { GenerateInputError } from './errors.js';

/** Where a block lies: its backing and byte offset there. */
export interface BlockPlace {
  backing: Backing;
  offset: number;
}

export interface PastSegment {
  /** The range a launch binds as src. */
  src: Range;
  /** Per row, per block slot: whether the block lies in this segment. */
  table: Uint32Array;
}

/**
 * The segments and tables for a run: `rows` rows (row b < blocks.length holds
 * sequence b's blocks in position order and `lengths[b]` cached tokens; the
 * rest are padding, length 0), `zones` the page ranges no segment may overlap
 * (the workspace the launches write, the table they read), `align` the
 * binding offset alignment.
 */
export function pastSegments(blocks: readonly (readonly BlockPlace[])[], lengths: readonly number[], g: KvGatherGeometry, blockBytes: number, zones: readonly Range[], align: number): PastSegment[] {
  const groups = new Map<string, { backing: Backing; lo: number; hi: number; members: [number, number, number][] }>();
  blocks.forEach((row, b) => {
    const used = Math.ceil(lengths[b]! / g.blockTokens);
    if (used > g.maxBlocks) throw new GenerateInputError('past', `a row holds ${used} blocks; the table has room for ${g.maxBlocks}`);
    for (let j = 0; j < used; j++) {
      const p = row[j]!;
      const gap = zones.filter((z) => z.backing.id === p.backing.id && z.offset <= p.offset).length;
      const key = `${p.backing.id}:${gap}`;
      let grp = groups.get(key);
      if (!grp) groups.set(key, (grp = { backing: p.backing, lo: p.offset, hi: p.offset + blockBytes, members: [] }));
      grp.lo = Math.min(grp.lo, p.offset);
      grp.hi = Math.max(grp.hi, p.offset + blockBytes);
      grp.members.push([b, j, p.offset]);
    }
  });
  return [...groups.values()].map((grp) => {
    const start = grp.lo - (grp.lo % align);
    const src: Range = { backing: grp.backing, offset: start, bytes: grp.hi - start };
    for (const z of zones)
      if (z.backing.id === src.backing.id && start < z.offset + z.bytes && z.offset < grp.hi)
        throw new GenerateInputError('past', `blocks at [${start}, ${grp.hi}) overlap pages [${z.offset}, ${z.offset + z.bytes}) the gather writes or reads apart`);
    const table = new Uint32Array(kvTableWords(g)).fill(KV_SKIP);
    for (let b = 0; b < g.rows; b++) table[b] = lengths[b] ?? 0;
    for (const [b, j, offset] of grp.members) table[g.rows + b * g.maxBlocks + j] = (offset - start) / 4;
    return { src, table };
  });
}

/** The page-aligned byte range covering every range given (the pages they lie in). */
export function pageZone(dst: readonly Range[], pageBytes: number): Range {
  const lo = Math.min(...dst.map((r) => r.offset));
  const hi = Math.max(...dst.map((r) => r.offset + r.bytes));
  const start = lo - (lo % pageBytes);
  return { backing: dst[0]!.backing, offset: start, bytes: Math.ceil((hi - start) / pageBytes) * pageBytes };
}

export interface GatherPastSpec {
  dev: GpuDevice;
  shape: KvShape;
  blockTokens: number;
  blockBytes: number;
  pageBytes: number;
  /** Per sequence of the run: its blocks in position order, and its cached length. */
  blocks: readonly (readonly BlockPlace[])[];
  lengths: readonly number[];
  rows: number;
  P: number;
  /** Where the tables go: a range of at least tableBytesFor(...) bytes the cache holds. */
  table: Range;
  /** The run's past_* inputs in its workspace. */
  dst: Record<string, Range>;
}

/** Bytes of one segment's table, aligned so the next one can be bound. */
export const tableStride = (g: KvGatherGeometry, align: number): number => Math.ceil((kvTableWords(g) * 4) / align) * align;

/** Writes the tables and issues the gathers (all on the infer lane); returns how many segments the blocks spanned. */
export function gatherPast(s: GatherPastSpec): number {
  const { heads: H, headDim: D, layers } = s.shape;
  const g: KvGatherGeometry = { rows: s.rows, heads: H, past: s.P, headDim: D, blockTokens: s.blockTokens, tokenWords: layers * 2 * H * D, maxBlocks: Math.max(1, Math.ceil(s.P / s.blockTokens)) };
  if (s.P === 0) return 0;
  const align = s.dev.info.limits.bindingAlignment;
  const dsts = Object.values(s.dst);
  const zones = [pageZone(dsts, s.pageBytes), pageZone([s.table], s.pageBytes)];
  const segments = pastSegments(s.blocks, s.lengths, g, s.blockBytes, zones, align);
  if (segments.length === 0) {
    for (const r of dsts) s.dev.zero(r); // every row is padding
    return 0;
  }
  const stride = tableStride(g, align);
  if (segments.length * stride > s.table.bytes)
    throw new GenerateInputError('past', `${segments.length} tables of ${stride} bytes exceed the cache's table of ${s.table.bytes} bytes`);
  segments.forEach((seg, k) => {
    const at: Range = { backing: s.table.backing, offset: s.table.offset + k * stride, bytes: seg.table.byteLength };
    s.dev.write(at, seg.table, 'infer');
    for (let l = 0; l < layers; l++)
      for (const [j, kv] of (['k', 'v'] as const).entries()) {
        const dst = s.dst[pastName(kv, l)];
        if (!dst) throw new GenerateInputError('past', `the run has no ${pastName(kv, l)} input to gather into`);
        s.dev.launch(kvGather(at, seg.src, dst, g, (l * 2 + j) * H * D));
      }
  });
  return segments.length;
}
