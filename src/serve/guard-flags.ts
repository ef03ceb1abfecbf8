// The serve command's flags for the guard (guard.ts): what a user sets on the
// command line, checked and turned into GuardOptions.
import { UsageError } from '../core/errors.js';
import type { FlagSpec, Flags } from '../cli/args.js';
import { checkExposure, GUARD_DEFAULTS, type GuardOptions } from './guard.js';

export const guardFlags: FlagSpec = {
  'allowed-hosts': { type: 'list', help: 'host name clients may use in the Host header besides IP addresses and localhost (repeatable; * for any)' },
  'api-key': { type: 'string', help: 'bearer token every request must send (Authorization: Bearer KEY); required when --host is not loopback; default: $HANDOVER_API_KEY (not shown by ps)' },
  'cors-origin': { type: 'list', help: 'origin answered with CORS headers (repeatable; default: CORS off)' },
  'max-connections': { type: 'number', default: GUARD_DEFAULTS.maxConnections, help: 'connections open at once; more are refused' },
  'request-timeout-s': { type: 'number', default: GUARD_DEFAULTS.requestTimeoutMs / 1000, help: 'time a client has to send a whole request (headers and body)' },
  'drain-s': { type: 'number', default: 10, help: 'on SIGINT/SIGTERM: time in-flight requests get to finish before connections are closed' },
  'isolate-models': { type: 'boolean', default: false, help: 'zero-fill pages passed between inference models (not only between training and inference)' },
};

/** Guard options from the flags and the bind address; one-line UsageErrors for bad values. */
export function guardOptionsFromFlags(flags: Flags, host: string, env: NodeJS.ProcessEnv = process.env): GuardOptions & { drainMs: number } {
  const positive = (name: string): number => {
    const v = Number(flags[name]);
    if (!Number.isFinite(v) || v <= 0 || v > 86_400) throw new UsageError(`--${name} must be a positive number of at most 86400, got ${flags[name]}`);
    return v;
  };
  const conns = Number(flags['max-connections']);
  if (!Number.isInteger(conns) || conns < 1 || conns > 1_000_000) throw new UsageError(`--max-connections must be an integer in 1..1000000, got ${flags['max-connections']}`);
  const opts = {
    host,
    allowedHosts: flags['allowed-hosts'] as string[],
    apiKey: (flags['api-key'] as string | undefined) ?? (env.HANDOVER_API_KEY || undefined),
    corsOrigins: flags['cors-origin'] as string[],
    maxConnections: conns,
    requestTimeoutMs: positive('request-timeout-s') * 1000,
    drainMs: positive('drain-s') * 1000,
  };
  checkExposure(opts);
  return opts;
}
