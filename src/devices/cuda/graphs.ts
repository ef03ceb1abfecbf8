// CUDA graphs: a recording is the launches captured on a lane's stream,
// instantiated once into an executable graph and replayed on that stream, so
// it is ordered exactly like the launches it recorded.

import type { CudaAddon, Handle } from './addon.js';

export class CudaGraphs {
  /** Executable graphs by recording id. */
  private readonly execs = new Map<number, Handle>();

  constructor(private readonly cu: CudaAddon) {}

  /** Captures the launches `issue` makes on `stream` into an executable graph. */
  record(id: number, stream: Handle, issue: () => void): void {
    this.cu.captureBegin(stream);
    try {
      issue();
    } catch (e) {
      try {
        this.cu.graphDestroy(this.cu.captureEnd(stream));
      } catch {
        // the capture was invalidated by the failure: nothing is left to destroy
      }
      throw e;
    }
    const graph = this.cu.captureEnd(stream);
    try {
      this.execs.set(id, this.cu.graphInstantiate(graph));
    } finally {
      this.cu.graphDestroy(graph);
    }
  }

  replay(id: number, stream: Handle): void {
    this.cu.graphLaunch(this.execs.get(id)!, stream);
  }

  /** The executable graph of recording `id`, no longer listed (undefined if none): the caller destroys it once its work is done. */
  remove(id: number): Handle | undefined {
    const exec = this.execs.get(id);
    if (exec !== undefined) this.execs.delete(id);
    return exec;
  }

  destroy(exec: Handle): void {
    this.cu.graphExecDestroy(exec);
  }

  /** Destroys every executable graph (the device is being destroyed, after a synchronize). */
  destroyAll(): void {
    for (const exec of this.execs.values()) this.cu.graphExecDestroy(exec);
    this.execs.clear();
  }
}
