// Training confined to part of the SMs while inference runs (GpuDevice.
// confineTraining on CUDA): the training lane's stream moves to a stream of a
// green context of about `share` of the SMs, and back to its own stream when
// inference is done. A move is an event recorded on the old stream and waited
// on by the new one (switchStream), so the lane keeps its order across moves;
// the lane's cuBLAS handle moves with it. A partition is made the first time a
// share is asked (a driver call of a few ms) and kept until the device is
// destroyed, so later moves cost microseconds and stay off the handover's path.
import type { Handle } from './addon.js';
import { SmPartition, switchStream, type GreenCuda } from './green.js';

interface Confined {
  partition: SmPartition;
  stream: Handle;
}

export class TrainingConfinement {
  /** Partitions by the SM count asked for. */
  private readonly partitions = new Map<number, Confined>();

  /**
   * @param home the training lane's own stream (all SMs)
   * @param event an event this object may record at any time
   */
  constructor(
    private readonly cu: GreenCuda,
    private readonly ordinal: number,
    private readonly smCount: number,
    readonly home: Handle,
    private readonly event: Handle,
  ) {}

  /** SMs to ask the driver for a share (it rounds up to its granularity). */
  smsFor(share: number): number {
    return Math.max(1, Math.round(share * this.smCount));
  }

  /**
   * Moves the lane now on `from` to a partition of about `share` of the SMs
   * (null: home). Returns the stream to use from now on and the SMs it runs on.
   */
  move(share: number | null, from: Handle, blas: Handle): { stream: Handle; sms: number } {
    if (share === null) return { stream: switchStream(this.cu, from, this.home, this.event, blas), sms: this.smCount };
    const c = this.partition(this.smsFor(share));
    return { stream: switchStream(this.cu, from, c.stream, this.event, blas), sms: c.partition.granted };
  }

  private partition(sms: number): Confined {
    let c = this.partitions.get(sms);
    if (!c) {
      const partition = SmPartition.create(this.cu, { sms, ordinal: this.ordinal });
      try {
        // Training keeps the least priority inside its partition too.
        c = { partition, stream: partition.part.stream(this.cu.streamPriorities().least) };
      } catch (e) {
        partition.destroy();
        throw e;
      }
      this.partitions.set(sms, c);
    }
    return c;
  }

  /** Destroys the partitions and their streams; the caller has synchronized and moved the lane home. */
  destroy(): void {
    for (const c of this.partitions.values()) c.partition.destroy();
    this.partitions.clear();
  }
}
