// The launcher: forks one Node process per rank (each opens its own GPU),
// runs the coordinator in this process, and resolves with every rank's
// result, or rejects (stopping all ranks) when one fails, exits or hangs.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { HandoverError } from '../core/errors.js';
import { Coordinator } from './coordinator.js';
import type { CoordinatorMessage, Port, RankMessage } from './transport.js';

export interface LaunchOptions {
  ranks: number;
  /** The rank program (a module calling serveRank), as a URL relative to the caller. */
  entry: URL;
  options: (rank: number) => unknown;
  env?: (rank: number) => Record<string, string>;
  /** No agreement for this long while a rank waits at one: abort all (default 120 s). */
  hangMs?: number;
  /** The allowance for the first agreement, which waits for every rank to start (default 120 s, at least hangMs). */
  startMs?: number;
  log?: (rank: number, line: string) => void;
}

export class RankFailedError extends HandoverError {
  override name = 'RankFailedError';
  constructor(readonly rank: number, readonly reason: string) {
    super(`rank ${rank}: ${reason}`);
  }
}

function childPort(c: ChildProcess): Port<RankMessage, CoordinatorMessage> {
  return { send: (m) => void (c.connected && c.send(m)), onMessage: (f) => void c.on('message', (m) => f(m as RankMessage)) };
}

/** The rank program's file: a .ts source runs through tsx; without tsx (the GPU bundle), its compiled dist/ twin. */
function programPath(entry: URL): string {
  const path = fileURLToPath(entry);
  if (!path.endsWith('.ts')) return path;
  try {
    createRequire(import.meta.url).resolve('tsx');
    return path;
  } catch {
    return fileURLToPath(new URL(entry.href.replace(/\/src\/(?!.*\/src\/)/, '/dist/src/').replace(/\.ts$/, '.js')));
  }
}

export function launch<R>(o: LaunchOptions): Promise<R[]> {
  const path = programPath(o.entry);
  // Sources (tests, tsx) need the TypeScript loader in the children too.
  const execArgv = path.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const children = Array.from({ length: o.ranks }, (_, rank) =>
    fork(path, [], { execArgv, serialization: 'advanced', env: { ...process.env, ...o.env?.(rank) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const coordinator = new Coordinator(children.map(childPort), o.log);
  const results = new Array<R>(o.ranks);
  let pending = o.ranks;
  return new Promise<R[]>((resolve, reject) => {
    let over = false;
    const stop = (e?: Error) => {
      if (over) return;
      over = true;
      clearInterval(watch);
      if (e) {
        coordinator.abortAll(e.message);
        setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 2000).unref();
        reject(e);
      } else resolve(results);
    };
    const watch = setInterval(() => {
      try {
        coordinator.check(o.hangMs ?? 120_000, o.startMs ?? 120_000);
      } catch (e) {
        stop(e as Error);
      }
    }, 250);
    children.forEach((c, rank) => {
      c.on('message', (raw) => {
        const m = raw as RankMessage;
        if (m.t === 'result') {
          results[rank] = m.result as R;
          if (--pending === 0) stop();
        } else if (m.t === 'fail') stop(new RankFailedError(rank, m.message));
        else coordinator.handle(rank, m);
      });
      c.on('exit', (code, signal) => {
        // A result sent just before a clean exit may still be in the channel: give it a moment.
        setTimeout(() => results[rank] === undefined && stop(new RankFailedError(rank, `exited (${signal ?? code}) before its result`)), code === 0 ? 500 : 0);
      });
      c.on('error', (e) => stop(new RankFailedError(rank, e.message)));
      c.send({ t: 'start', options: o.options(rank) } satisfies CoordinatorMessage);
    });
  });
}
