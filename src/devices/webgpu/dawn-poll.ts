// Dawn's Node binding learns that GPU work finished (onSubmittedWorkDone,
// mapAsync) by rescheduling a native callback with setImmediate for as long
// as any wait is pending: the event loop spins. On a CPU adapter (SwiftShader)
// that spin takes one of the cores the device computes on, and every pass
// allocates, so the collector stops the loop for 10-80 ms at a time. Measured
// on the 2-core CI machine with training time-sliced beside requests
// (docs/time-slicing.md): 6-10 scavenges and 2-3 mark-compacts a second, an
// event-loop delay of up to 135 ms, training at 270-460 samples/s; with the
// polls on a 1 ms timer, 2 scavenges a second, one mark-compact in 20 s, a
// delay of at most 9 ms and 1,329 samples/s.
//
// throttleDawnPolling() routes Dawn's callbacks (native, unnamed, no
// parameters or arguments) through a timer of `pollMs` instead of setImmediate: a completion
// is seen up to that much later, the core and the collector are spared. Every
// other setImmediate is left alone. 0 turns it off (the default on hardware
// adapters, where a millisecond of latency costs more than a spinning core).
import { InvalidRangeError, UsageError } from '../../core/errors.js';

let pollMs = 0;
let installed = false;

/** Milliseconds between Dawn's polls from now on (0: every turn of the event loop, Dawn's own way). */
export function setDawnPollMs(ms: number): void {
  if (!(ms >= 0 && ms <= 100)) throw new InvalidRangeError(`Dawn poll interval must be in 0..100 ms, got ${ms}`);
  pollMs = ms;
}

export function dawnPollMs(): number {
  return pollMs;
}

/** Dawn's poll: a native function of no name and no parameters, passed no arguments (a promise's resolve has one parameter). */
function isDawnPoll(cb: unknown, args: readonly unknown[]): cb is () => void {
  return typeof cb === 'function' && cb.name === '' && cb.length === 0 && args.length === 0 && Function.prototype.toString.call(cb).includes('[native code]');
}

/** Wraps globalThis.setImmediate once (Node only); the interval is setDawnPollMs's. */
export function throttleDawnPolling(): void {
  const g = globalThis as unknown as { setImmediate?: (cb: (...a: unknown[]) => void, ...args: unknown[]) => unknown };
  if (installed || typeof g.setImmediate !== 'function') return;
  installed = true;
  const immediate = g.setImmediate;
  const throttled = (cb: (...a: unknown[]) => void, ...args: unknown[]): unknown =>
    pollMs > 0 && isDawnPoll(cb, args) ? setTimeout(cb, pollMs) : immediate(cb, ...args);
  // util.promisify(setImmediate) and anything else hung on the original stay reachable.
  g.setImmediate = Object.assign(throttled, immediate);
}

/** The poll interval a device on this adapter gets: HANDOVER_DAWN_POLL_MS, else 1 ms on a CPU adapter and 0 on hardware. */
export function dawnPollMsFor(software: boolean, env: Record<string, string | undefined>): number {
  const v = env.HANDOVER_DAWN_POLL_MS;
  if (v === undefined || v === '') return software ? 1 : 0;
  const ms = Number(v);
  if (!(ms >= 0 && ms <= 100)) throw new UsageError(`HANDOVER_DAWN_POLL_MS='${v}': use a number of milliseconds in 0..100`);
  return ms;
}
