// User errors the commands do not throw as UsageError themselves: a file that
// is missing or a folder, a port in use, an address this machine does not
// have, no CUDA GPU, a model file that is not a valid model. Each becomes one
// line naming what was wrong and what to do (exit code 2).
import { NoAdapterError } from '../core/errors.js';
import { CudaUnavailableError } from '../devices/cuda/errors.js';
import { ModelError } from '../onnx/errors.js';
import { OpTableFormatError } from '../optest/errors.js';
import { SchedParameterError, TraceFileError } from '../sched/errors.js';

interface SystemError {
  code?: string;
  path?: string;
  address?: string;
  port?: number;
  syscall?: string;
  hostname?: string;
}

/** One line for an error a user caused, or null when it is not one. */
export function userErrorLine(e: unknown): string | null {
  if (e instanceof CudaUnavailableError) {
    const line = e.message.split('\n')[0]!;
    return /not built|--backend webgpu|NVIDIA GPU/.test(line) ? line : `${line}; run on a machine with an NVIDIA GPU and its driver, or use --backend webgpu`;
  }
  if (e instanceof NoAdapterError) return `${e.message.split('\n')[0]} (or choose the other backend with --backend)`;
  if (e instanceof ModelError) return e.message.split('\n')[0]!;
  if (e instanceof OpTableFormatError) return `${e.message.split('\n')[0]!} (is it an operator test table, .jsonc?)`;
  if (e instanceof TraceFileError) return e.message.split('\n')[0]!;
  if (e instanceof SchedParameterError) return `${e.parameter} '${String(e.value)}' is not valid: expected ${e.expected}`;
  if (!(e instanceof Error)) return null;
  const s = e as Error & SystemError;
  switch (s.code) {
    case 'ENOENT':
      return `'${s.path}' does not exist; check the path`;
    case 'EISDIR':
      return `'${s.path ?? 'the path'}' is a directory; give the path of a file`;
    case 'ENOTDIR':
      return `'${s.path}' is not a folder; check the path`;
    case 'EACCES':
    case 'EPERM':
      return s.syscall === 'listen' || s.syscall === 'bind'
        ? `not allowed to listen on ${s.address ?? ''}:${s.port ?? ''}; use a port above 1023 with --port`
        : `no permission to read '${s.path}'; check its permissions`;
    case 'EADDRINUSE':
      return `port ${s.port ?? ''} on ${s.address ?? 'this host'} is in use; stop the other server or choose another with --port (0: any free port)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on '${s.address ?? s.hostname ?? ''}': not an address of this machine; use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
    default:
      return null;
  }
}
