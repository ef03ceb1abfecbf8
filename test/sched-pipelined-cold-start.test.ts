// Pipelined cold starts in the core: with CoreConfig.pipelinedColdStart and a
// model side that runs a loading model layer by layer, admit() returns once
// the load is issued (the run overlaps it) instead of after it; a second
// request for the loading model joins at once; a failed load still leaves
// the model cold with its bytes back. Without either, admit waits for the load.
import { describe, expect, it } from 'vitest';
import { ColocationCore, type CoreConfig, type ModelSide } from '../src/sched/core.js';
import { FakeTraining } from './helpers/fake-training.js';

const MB = 1 << 20;

/** Loads that finish only when the test says. */
class SlowModels implements ModelSide {
  readonly pending: { model: string; pipelined: boolean; done: () => void; fail: (e: Error) => void }[] = [];
  constructor(readonly runsWhileLoading: boolean) {}
  bytes() {
    return 100 * MB;
  }
  load(model: string, opts: { pipelined: boolean }) {
    return new Promise<void>((done, fail) => this.pending.push({ model, pipelined: opts.pipelined, done, fail }));
  }
  async unload() {}
}

function setup(runsWhileLoading: boolean, config: Partial<CoreConfig>) {
  const models = new SlowModels(runsWhileLoading);
  const core = new ColocationCore(new FakeTraining(1000 * MB), models, { tIdleMs: 5000, watermarkBytes: 0, ...config }, () => 0, { initialReserveBytes: 500 * MB });
  core.register('a');
  return { core, models };
}

/** Whether the promise settles within a few turns of the event loop. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  return done;
}

describe('pipelined cold start in the core', () => {
  it('admit returns when the load is issued; a second request joins; the load event comes when it ends', async () => {
    const { core, models } = setup(true, { pipelinedColdStart: true });
    const first = core.admit('a');
    expect(await settles(first), 'admitted before the load finished').toBe(true);
    expect(await first).toMatchObject({ path: 'reserve', coldStart: true });
    expect(models.pending).toHaveLength(1);
    expect(models.pending[0]!.pipelined).toBe(true);
    expect(core.log.ofKind('load')).toHaveLength(0);
    const second = core.admit('a');
    expect(await settles(second)).toBe(true);
    expect((await second).path).toBe('joined');
    models.pending[0]!.done();
    await new Promise((r) => setTimeout(r, 0));
    expect(core.log.ofKind('load')).toHaveLength(1);
    core.complete('a');
    core.complete('a');
    expect(core.stats.coldStarts).toBe(1);
  });

  it('without it (or without a model side that runs while loading) admit waits for the load', async () => {
    for (const [runs, flag] of [[true, false], [false, true]] as const) {
      const { core, models } = setup(runs, { pipelinedColdStart: flag });
      const first = core.admit('a');
      expect(await settles(first), `runsWhileLoading ${runs}, pipelinedColdStart ${flag}`).toBe(false);
      models.pending[0]!.done();
      expect((await first).path).toBe('reserve');
      core.complete('a');
    }
  });

  it('a failed pipelined load leaves the model cold and its bytes free', async () => {
    const { core, models } = setup(true, { pipelinedColdStart: true });
    const reserve = core.reserveBytes;
    await core.admit('a');
    models.pending[0]!.fail(new Error('upload failed'));
    await new Promise((r) => setTimeout(r, 0));
    core.complete('a');
    expect(core.log.ofKind('load-failed')).toHaveLength(1);
    expect(core.reserveBytes).toBe(reserve);
    await core.admit('a'); // cold again: a second load
    expect(models.pending).toHaveLength(2);
    expect(core.stats.coldStarts).toBe(2);
    core.complete('a');
  });
});
