// Discards beside the priority window (LLM round 8): each decoder step holds
// training back for the window after it, so a micro-batch caught by a burst
// waits the burst out and cannot reach the boundary where pages asked of it
// (the KV plan's deferred requires) would come free. Before, an admission
// that waited for them until the bound, or a running sequence's next block,
// then REQUIREd them: a discard. Now the wait for pages on their way lifts
// the window's hold (Batcher `unheld`, as the system wires it), the held
// micro-batch does its remaining work and reaches its boundary, and the
// pages come without a discard.
//
// The scripted trainer (test/llm-boundary-training.ts) does a micro-batch's
// 20 ms of work only while the gate is not held; the gate and the window are
// the system's own (src/core/gate.ts, src/sched/priority.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arena } from '../src/core/arena.js';
import { Gate } from '../src/core/gate.js';
import type { ModelStore } from '../src/infer/store.js';
import { Batcher } from '../src/llm/batcher.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { Generator } from '../src/llm/generate.js';
import { HostKvCache } from '../src/llm/host-cache.js';
import { PagedKvCache } from '../src/llm/kv-cache.js';
import { PriorityWindow } from '../src/sched/priority.js';
import { WindowedGenerator } from '../src/system/generation.js';
import { BoundaryTraining, expectScriptTokens, PAGE, Timed } from './llm-boundary-training.js';
import { kvArena, promptOf } from './llm-helpers.js';

/** The system's generator (every step under the window) that keeps its longest step. */
class TimedWindowedGenerator extends Timed(WindowedGenerator) {}

let arena: Arena;
let store: ModelStore;
let workspacePages = 0;

beforeAll(async () => {
  ({ arena, store } = await kvArena(24 << 20, PAGE, 41));
  // The run workspace of the largest step the script can make (4 prompts of 30 tokens), one page of margin: a require
  // for a workspace (which no plan asks ahead) would blur the count of the KV's own.
  const off = arena.onEvent((e) => {
    if (e.kind === 'allocate' && e.owner === 'infer') workspacePages = Math.max(workspacePages, e.pages + 1);
  });
  const gen = new Generator(store, 'gpt', new HostKvCache(TINY_GPT_KV));
  const seqs = [1, 2, 3, 4].map(() => gen.open());
  await gen.step(seqs.map((seq, i) => ({ seq, tokens: promptOf(30, 7 + i) })));
  await gen.step(seqs.map((seq) => ({ seq, tokens: [1] })));
  for (const s of seqs) await gen.cache.end(s);
  off();
}, 60_000);
afterAll(() => arena?.destroy());

// [arrival ms, prompt tokens, most new tokens]: three bursts 4 s apart (the loan goes back between them, and
// training grows back into it), each a pair, then a pair arriving while the first decodes, with prompts longer
// than what the first pair left of its reach (a step on SwiftShader takes 50-400 ms here, so the window holds
// training throughout a burst).
const SCRIPT: [number, number, number][] = [0, 4000, 8000].flatMap((t): [number, number, number][] => [[t, 30, 16], [t, 28, 16], [t + 300, 30, 4], [t + 300, 26, 4]]);
const WORK_MS = 20;
const BOUND_MS = 80;
const WINDOW_MS = 30;

/** round7: no wait for pages on their way before a require (LLM round 7's path); lifted: as the system runs. */
async function play(mode: 'round7' | 'lifted') {
  const lift = mode === 'lifted';
  const gate = new Gate(arena.device);
  const window = new PriorityWindow(gate, WINDOW_MS);
  const training = new BoundaryTraining(arena, gate, 0, WORK_MS, () => gate.held);
  training.fill(workspacePages);
  const cache = new PagedKvCache(arena, TINY_GPT_KV, { blockTokens: 2, headroomBytes: workspacePages * PAGE });
  const gen = new TimedWindowedGenerator(store, 'gpt', cache, window);
  const batcher = new Batcher(gen, cache, training, {
    maxBatch: 4, watermarkBytes: 2 * PAGE, maxDeferMs: BOUND_MS, plan: { horizonMs: 1, rateTauMs: 100, releaseAfterMs: 300 }, // a reserve of about W: the later pairs' pages are asked when they arrive
    unheld: lift ? (fn) => window.run(() => window.unheld(fn)) : undefined, awaitBoundary: mode !== 'round7',
  });
  try {
    const results = await Promise.all(SCRIPT.map(([at, p, m], i) => new Promise<void>((r) => setTimeout(r, at)).then(() => batcher.submit({ prompt: promptOf(p, 60 + i), maxTokens: m }))));
    const m = batcher.metrics;
    console.log(
      `${mode.padEnd(6)}: ${m.requires} requires (${m.requiresFor.admission} admission, ${m.requiresFor.block} next block, ${m.requiresFor.workspace} workspace), ${training.discards} discards (${training.wastedMs.toFixed(0)} ms of micro-batches thrown away), ` +
        `${m.yields} deferred requires, ${m.boundaryWaits} boundary waits (${m.boundaryWaitMs.toFixed(0)} ms), ${m.deferredAdmissions} deferred admission steps, ${m.deferralsExpired} expired, longest admission wait ${m.maxDeferWaitMs.toFixed(1)} ms (longest step ${gen.maxStepMs.toFixed(1)} ms), ${training.boundaries} boundaries`,
    );
    expect(results.every((r, i) => r.tokens.length === SCRIPT[i]![2] && r.stop === 'length')).toBe(true);
    await expectScriptTokens(store, SCRIPT, 60, results);
    // No admission waits past the bound (a deferral is decided a step ahead: a step longer than the last passes it by that much).
    expect(m.maxDeferWaitMs).toBeLessThanOrEqual(BOUND_MS + gen.maxStepMs + 25);
    expect(training.discards).toBeLessThanOrEqual(m.requires); // only a require discards
    expect(cache.stats()).toMatchObject({ pages: 0, liveBlocks: 0 });
    return { discards: training.discards, requires: m.requires, boundaryWaits: m.boundaryWaits, wastedMs: training.wastedMs };
  } finally {
    await batcher.close();
    window.clear();
    await training.stop();
  }
}

describe('pages on their way beside the priority window', () => {
  it('a wait that lifts the window\'s hold lets the held micro-batch reach its boundary: fewer discards, the same tokens, no wait past the bound', async () => {
    const before = await play('round7');
    const lifted = await play('lifted');
    expect(before.discards).toBeGreaterThan(0); // the round-7 situation: pages held up by the window, required
    expect(lifted.boundaryWaits).toBeGreaterThan(0);
    expect(lifted.discards).toBeLessThan(before.discards);
    expect(lifted.wastedMs).toBeLessThan(before.wastedMs);
  }, 180_000);
});
