// Compute sharing around requests: which mechanism a system gets on which
// device (shorter micro-batches on one queue, training confined to part of
// the SMs with an inference lane), that the partition is made before the first
// request, and the device API's checks. The CUDA side (green contexts) is
// tested on the GPU in test/cuda-green.test.ts.
import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../src/core/device.js';
import { DeviceError, InvalidRangeError, UsageError } from '../src/core/errors.js';
import { SimDevice } from '../src/devices/sim/device.js';
import { DEFAULT_TESTBED } from '../src/eval/testbed.js';
import { computeShare } from '../src/sched/compute-share.js';
import { systemPolicy } from '../src/sched/systems.js';
import type { Trainer } from '../src/train/trainer.js';

/** A simulated device with an inference lane, which may confine training: records every call. */
class LaneDevice extends SimDevice {
  readonly calls: (number | null)[] = [];
  constructor(confine: boolean, private readonly granularity = 0.125) {
    super();
    (this as { info: DeviceInfo }).info = { ...this.info, capabilities: { remap: false, timestamps: false, lanes: true, confine } };
  }
  protected override _confineTraining(share: number | null): number | null {
    this.calls.push(share);
    return share === null ? null : Math.ceil(share / this.granularity) * this.granularity;
  }
}

/** A trainer stand-in that records its row caps. */
function rowTrainer(): { trainer: Trainer; caps: (number | null)[] } {
  const caps: (number | null)[] = [];
  return { trainer: { shareCompute: (rows: number | null) => caps.push(rows) } as unknown as Trainer, caps };
}

describe('compute sharing of handover and naive', () => {
  it('confines training on a device that can, making the partition before the first request', () => {
    const dev = new LaneDevice(true);
    const { trainer, caps } = rowTrainer();
    const share = computeShare(dev, systemPolicy('handover'), trainer, { ...DEFAULT_TESTBED, trainShare: 0.3 })!;
    expect(dev.calls).toEqual([0.3, null]); // made, then training went home until a request comes
    expect(share.what).toMatch(/37\.5% of the GPU's compute .*asked 30\.0%/);
    share.on();
    share.off();
    share.on();
    expect(dev.calls).toEqual([0.3, null, 0.3, null, 0.3]);
    expect(caps).toEqual([]); // rows are the one-queue mechanism only
  });

  it('caps micro-batch rows on one queue, and ignores the SM share there', () => {
    const dev = new SimDevice();
    const { trainer, caps } = rowTrainer();
    const share = computeShare(dev, systemPolicy('naive'), trainer, { ...DEFAULT_TESTBED, shareRows: 5, trainShare: 0.5 })!;
    share.on();
    share.off();
    expect(caps).toEqual([5, null]);
    expect(share.what).toMatch(/at most 5 rows/);
  });

  it('has none for the baselines, without training, or with a share of 1 on a lane device', () => {
    const dev = new LaneDevice(true);
    const { trainer } = rowTrainer();
    for (const s of ['sp50', 'sp75', 'taskswitch', 'infer-only'] as const)
      expect(computeShare(dev, systemPolicy(s), trainer, { ...DEFAULT_TESTBED, trainShare: 0.5 })).toBeNull();
    expect(computeShare(dev, systemPolicy('handover'), null, { ...DEFAULT_TESTBED, trainShare: 0.5 })).toBeNull();
    expect(computeShare(dev, systemPolicy('handover'), trainer, { ...DEFAULT_TESTBED, trainShare: 1 })).toBeNull();
    expect(dev.calls).toEqual([]);
  });

  it('refuses a share below 1 on a lane device that cannot confine, saying so', () => {
    const { trainer } = rowTrainer();
    expect(() => computeShare(new LaneDevice(false), systemPolicy('handover'), trainer, { ...DEFAULT_TESTBED, trainShare: 0.5 }))
      .toThrow(UsageError);
  });

  it('GpuDevice.confineTraining checks the capability and the share before the backend sees it', () => {
    expect(() => new SimDevice().confineTraining(0.5)).toThrow(DeviceError);
    const dev = new LaneDevice(true);
    for (const bad of [0, 1, -0.5, 1.5, NaN]) expect(() => dev.confineTraining(bad)).toThrow(InvalidRangeError);
    expect(dev.calls).toEqual([]);
    expect(dev.confineTraining(0.2)).toBe(0.25);
    expect(dev.confineTraining(null)).toBeNull();
  });
});
