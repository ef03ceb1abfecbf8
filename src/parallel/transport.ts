// The messages between the coordinator (the launching process) and its
// ranks (one child process each), over Node's IPC channel with structured
// clone ('advanced' serialization: typed arrays travel as they are).

/** A rank to the coordinator. */
export type RankMessage =
  | { t: 'arrive'; id: number; step: number; info: unknown }
  | { t: 'reduce'; id: number; key: string; data: Float64Array }
  | { t: 'nccl-id'; generation: number; bytes: Uint8Array }
  | { t: 'progress'; line: string }
  | { t: 'result'; result: unknown }
  | { t: 'fail'; message: string };

/** The coordinator to a rank. */
export type CoordinatorMessage =
  | { t: 'start'; options: unknown }
  | { t: 'agreed'; id: number; infos: unknown[] }
  | { t: 'reduced'; id: number; sum: Float64Array }
  | { t: 'nccl-id'; generation: number; bytes: Uint8Array }
  | { t: 'abort'; reason: string };

/** One end of a channel. */
export interface Port<In, Out> {
  send(m: Out): void;
  onMessage(f: (m: In) => void): void;
}

/** This process's channel to its parent (a forked rank). */
export function parentPort(): Port<CoordinatorMessage, RankMessage> {
  if (!process.send) throw new Error('this process was not started by the dist launcher (no IPC channel)');
  return {
    send: (m) => void process.send!(m),
    onMessage: (f) => {
      process.on('message', (m) => f(m as CoordinatorMessage));
      process.on('disconnect', () => process.exit()); // the coordinator is gone (or the rank is done)
    },
  };
}
