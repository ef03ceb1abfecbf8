// The arena's options, statistics and events, and where an allocation goes
// (Arena.allocate): the types the arena's users name, apart from the arena
// itself (arena.ts re-exports them).
import type { Owner } from './errors.js';

export interface ArenaOptions {
  /** Pool size in bytes (rounded down to whole pages). */
  bytes: number;
  /** Page size; 2 MiB matches CUDA's VMM granularity. */
  pageBytes?: number;
  /**
   * Training tensors may take scattered pages mapped into a view (default:
   * when the device can remap and the page size is a multiple of its unit).
   */
  remap?: boolean;
  /**
   * Zero-fill pages passed between inference models too (not only between
   * training and inference). A model is named by its allocation label up to
   * the first ':' ('resnet:weights', 'resnet:activations').
   */
  isolateModels?: boolean;
}

export interface ArenaStats {
  pages: number;
  pageBytes: number;
  train: number;
  infer: number;
  free: number;
  /** Pages freed but not yet reclaimed (still owned). */
  trainPending: number;
  inferPending: number;
  /** Most pages training may hold (lowered by require, raised by release). */
  trainLimit: number;
  zeroedBytes: number;
  movedBytes: number;
}

export type ArenaEvent =
  | { kind: 'allocate'; owner: Owner; pages: number; first: number; zeroedPages: number; scattered?: boolean }
  | { kind: 'free'; owner: Owner; pages: number; first: number }
  | { kind: 'reclaim'; owner: Owner; pages: number }
  | { kind: 'move'; pages: number; from: number; to: number }
  | { kind: 'limit'; trainLimit: number };

/** Where an allocation should go (Arena.allocate). */
export interface AllocateWhere {
  /** The first page, if the run from there is free. */
  at?: number;
  /** Training: the highest free pages (see allocate). */
  highestFree?: boolean;
}
