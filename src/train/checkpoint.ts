// Checkpoints on disk: parameters, optimizer states, the step count and the
// data position, in one file written atomically (write a temporary file,
// fsync it, rename it over the old one, fsync the folder), so a run killed
// at any instant leaves either the previous checkpoint or the new one.
//
// Format: "HOCKPT01", a u32 header length, a JSON header, zero padding to a
// multiple of 4, then float32 words: parameters, then each optimizer state.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HandoverError, UsageError } from '../core/errors.js';
import type { TrainerSnapshot } from './trainer-types.js';

const MAGIC = 'HOCKPT01';
export const CHECKPOINT_FILE = 'checkpoint.hockpt';

/** Where training stands in its data: effective batches done in all, and within the epoch. */
export interface DataPosition {
  epoch: number;
  step: number;
  samples: number;
}

export interface CheckpointHeader {
  /** The model and training configuration; a resume must match it exactly. */
  config: Record<string, unknown>;
  position: DataPosition;
  steps: number;
  paramWords: number;
  states: number;
  savedAt: string;
}

/** A checkpoint file is unreadable or belongs to another configuration. */
export class CheckpointError extends HandoverError {
  override name = 'CheckpointError';
  constructor(readonly path: string, readonly detail: string) {
    super(`checkpoint ${path}: ${detail}`);
  }
}

export function checkpointPath(dir: string): string {
  return join(dir, CHECKPOINT_FILE);
}

export function saveCheckpoint(dir: string, config: Record<string, unknown>, position: DataPosition, snap: TrainerSnapshot): string {
  mkdirSync(dir, { recursive: true });
  const header: CheckpointHeader = { config, position, steps: snap.steps, paramWords: snap.params.length, states: snap.states.length, savedAt: new Date().toISOString() };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(Math.ceil((12 + json.length) / 4) * 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 8);
  json.copy(head, 12);
  const path = checkpointPath(dir);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head);
    for (const a of [snap.params, ...snap.states]) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
  return path;
}

export function loadCheckpoint(dir: string): { header: CheckpointHeader; snapshot: TrainerSnapshot } {
  const path = checkpointPath(dir);
  if (!existsSync(path)) throw new UsageError(`no checkpoint to resume from at ${path}`);
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new CheckpointError(path, 'not a handover checkpoint');
  const len = buf.readUInt32LE(8);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + len)) as CheckpointHeader;
  } catch {
    throw new CheckpointError(path, 'its header is not JSON');
  }
  const start = Math.ceil((12 + len) / 4) * 4;
  const words = header.paramWords;
  if (buf.length !== start + words * 4 * (1 + header.states)) throw new CheckpointError(path, `it has ${buf.length} bytes, its header says ${start + words * 4 * (1 + header.states)}`);
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  const snapshot: TrainerSnapshot = {
    steps: header.steps,
    params: floats.slice(0, words),
    states: Array.from({ length: header.states }, (_, i) => floats.slice((i + 1) * words, (i + 2) * words)),
  };
  return { header, snapshot };
}

/** Throws unless the checkpoint was written for exactly this configuration. */
export function checkResumable(dir: string, header: CheckpointHeader, config: Record<string, unknown>): void {
  const want = JSON.stringify(config);
  const got = JSON.stringify(header.config);
  if (want !== got) throw new UsageError(`the checkpoint in ${dir} is for another configuration: it has ${got}, this run is ${want}`);
}
