// A rank's side of the coordinator: the agreement and the simulated
// collective as request/reply over the IPC channel, broadcasts it waits for,
// and the life of a rank process (options in, one result out).
import type { Agreement } from './exchange.js';
import type { SimAllReduce } from '../devices/sim/device.js';
import { parentPort, type CoordinatorMessage, type Port, type RankMessage } from './transport.js';

type Reply = Extract<CoordinatorMessage, { id: number }>;
type Request = Extract<RankMessage, { id: number }>;
type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

export class RankLink {
  private nextId = 0;
  private readonly replies = new Map<number, (m: Reply) => void>();
  private readonly waiting: { t: string; res: (m: CoordinatorMessage) => void }[] = [];
  private readonly unclaimed: CoordinatorMessage[] = [];
  /** Called on the coordinator's last-resort abort, before the rank exits (a GPU rank aborts its communicator). */
  onAbort: (reason: string) => void = () => {};

  constructor(readonly port: Port<CoordinatorMessage, RankMessage>) {
    port.onMessage((m) => {
      if ('id' in m) {
        const f = this.replies.get(m.id);
        this.replies.delete(m.id);
        f?.(m);
        return;
      }
      if (m.t === 'abort') {
        try {
          this.onAbort(m.reason);
        } finally {
          process.exit(70); // the coordinator gave up on this run: stop at once
        }
      }
      const i = this.waiting.findIndex((w) => w.t === m.t);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.res(m);
      else this.unclaimed.push(m);
    });
  }

  request(m: Distribute<Request>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((res) => {
      this.replies.set(id, res);
      this.port.send({ ...m, id } as Request);
    });
  }

  /** The next broadcast of type `t` (kept if it came before the call). */
  next<K extends CoordinatorMessage['t']>(t: K): Promise<Extract<CoordinatorMessage, { t: K }>> {
    const i = this.unclaimed.findIndex((m) => m.t === t);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0] as Extract<CoordinatorMessage, { t: K }>);
    return new Promise((res) => this.waiting.push({ t, res: res as (m: CoordinatorMessage) => void }));
  }

  send(m: RankMessage): void {
    this.port.send(m);
  }
}

/** The coordinator's agreement, seen from one rank. */
export class RemoteAgreement<T> implements Agreement<T> {
  constructor(private readonly link: RankLink) {}
  async arrive(_rank: number, step: number, info: T): Promise<T[]> {
    const r = await this.link.request({ t: 'arrive', step, info });
    return (r as Extract<Reply, { t: 'agreed' }>).infos as T[];
  }
}

/** The coordinator's simulated collective, seen from one rank. */
export class RemoteAllReduce implements SimAllReduce {
  constructor(private readonly link: RankLink) {}
  async allReduce(key: string, data: Float64Array): Promise<Float64Array> {
    const r = await this.link.request({ t: 'reduce', key, data });
    return (r as Extract<Reply, { t: 'reduced' }>).sum;
  }
}

/** Runs this process as one rank: waits for its options, runs `body`, sends the result and exits. */
export async function serveRank<O, R>(body: (options: O, link: RankLink) => Promise<R>): Promise<void> {
  const link = new RankLink(parentPort());
  try {
    const start = await link.next('start');
    const result = await body(start.options as O, link);
    link.send({ t: 'result', result });
  } catch (e) {
    link.send({ t: 'fail', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    process.exitCode = 1;
  }
  process.disconnect?.();
}
