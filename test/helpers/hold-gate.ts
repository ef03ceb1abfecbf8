// Makes a REQUIRE land during gradient computation however fast the GPU: the
// next micro-batch's beginCompute holds the gate (as inference would), so
// its kernels stay queued until gate.resume().
import type { Gate } from '../../src/core/gate.js';

/** Holds the gate at the next micro-batch; resolves once that micro-batch is in gradient computation. */
export function holdNextMicroBatch(gate: Gate): () => Promise<void> {
  const begin = gate.beginCompute.bind(gate);
  gate.beginCompute = () => {
    begin();
    gate.hold();
    gate.beginCompute = begin;
  };
  return async () => {
    while (gate.phase !== 'gc') await new Promise((r) => setTimeout(r, 0));
  };
}

/**
 * Once the held micro-batch is in gradient computation (`inGradients`), a REQUIRE of `bytes` lands there, the
 * gate resumes and the bytes come back; resolves with the require's report once `stepping` is done.
 */
export async function requireInGradients<R>(
  t: { require(bytes: number): Promise<R>; release(bytes: number): void },
  gate: Gate,
  bytes: number,
  inGradients: () => Promise<void>,
  stepping: Promise<void>,
): Promise<R> {
  await inGradients();
  const report = await t.require(bytes);
  gate.resume();
  t.release(bytes);
  await stepping;
  return report;
}
