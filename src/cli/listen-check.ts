// Checks, before any device opens, that `serve` can listen where it was asked:
// the host is an address (or name) of this machine and the port is free. A
// throwaway listener is opened and closed (port 0: any free port, so only the
// host is checked); its error becomes one user line.
import { createServer } from 'node:net';
import { UsageError } from '../core/errors.js';
import { userErrorLine } from './errors.js';

export async function checkListen(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e) => reject(new UsageError(userErrorLine(e) ?? `cannot listen on ${host}:${port}: ${e.message}`)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
