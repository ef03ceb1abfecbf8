// The coordinator: the agreement of every step runs here, in the launching
// process, with the same LocalAgreementWithInfo the simulated tests use; ranks
// reach it over IPC. It also relays rank 0's NCCL id to every rank, sums
// simulated collectives, and watches for a step that never completes.
import { HandoverError } from '../core/errors.js';
import { LocalAgreementWithInfo } from './exchange.js';
import { SimCollective } from '../devices/sim/device.js';
import type { CoordinatorMessage, Port, RankMessage } from './transport.js';

export class AgreementTimeoutError extends HandoverError {
  override name = 'AgreementTimeoutError';
  constructor(readonly step: number, readonly missing: number[], readonly ms: number) {
    super(`no agreement on step ${step} for ${ms} ms: ranks ${missing.join(', ')} never arrived`);
  }
}

export class Coordinator {
  readonly agreement: LocalAgreementWithInfo<unknown>;
  readonly collective: SimCollective;
  /** Agreements completed, and the latest step each rank arrived at. */
  agreed = 0;
  private readonly arrivedAt: number[];
  private lastProgress = performance.now();

  constructor(readonly ports: readonly Port<RankMessage, CoordinatorMessage>[], readonly log: (rank: number, line: string) => void = () => {}) {
    this.agreement = new LocalAgreementWithInfo(ports.length);
    this.collective = new SimCollective(ports.length);
    this.arrivedAt = ports.map(() => -1);
  }

  /** Handles one message from `rank`; results and failures are the launcher's. */
  handle(rank: number, m: RankMessage): void {
    const port = this.ports[rank]!;
    switch (m.t) {
      case 'arrive':
        this.arrivedAt[rank] = m.step;
        void this.agreement.arrive(rank, m.step, m.info).then((infos) => {
          if (rank === 0) this.agreed++;
          this.lastProgress = performance.now();
          port.send({ t: 'agreed', id: m.id, infos });
        });
        return;
      case 'reduce':
        void this.collective.allReduce(m.key, m.data).then((sum) => port.send({ t: 'reduced', id: m.id, sum }));
        return;
      case 'nccl-id':
        for (const p of this.ports) p.send({ t: 'nccl-id', generation: m.generation, bytes: m.bytes });
        return;
      case 'progress':
        this.log(rank, m.line);
        return;
      default:
        return;
    }
  }

  /**
   * Throws AgreementTimeoutError if no agreement completed in `ms` while a rank
   * waits at one. Ranks start at different times (process start, module load,
   * GPU open: seconds apart on a loaded machine), so until the first agreement
   * the allowance is `startMs`, counted from the coordinator's start.
   */
  check(ms: number, startMs = ms): void {
    const waiting = Math.max(...this.arrivedAt);
    const allowed = this.agreed === 0 ? Math.max(ms, startMs) : ms;
    if (waiting < 0 || performance.now() - this.lastProgress < allowed) return;
    const missing = this.agreement.missing(waiting);
    if (missing.length > 0 && missing.length < this.ports.length) throw new AgreementTimeoutError(waiting, missing, allowed);
  }

  /** Last resort: every rank aborts its communicator and stops. */
  abortAll(reason: string): void {
    for (const p of this.ports) p.send({ t: 'abort', reason });
  }
}
