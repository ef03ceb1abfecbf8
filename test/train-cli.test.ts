// `handover train` as a user runs it, through bin/handover.js (the built
// dist/, as the README documents): a tiny GPT prints JSON, SIGTERM writes a
// checkpoint and exits cleanly, a SIGKILLed run resumes from its last
// checkpoint, a NaN loss and a bad flag are one-line errors with non-zero exits.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkpointPath, loadCheckpoint } from '../src/train/checkpoint.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/handover.js');

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `handover ...args`; `until` (polled every 50 ms) may send the child a signal. */
function handover(args: string[], until?: { when: (stderr: string) => boolean; signal: NodeJS.Signals }): Promise<Ran> {
  if (!existsSync(join(root, 'dist/src/cli/train-gpt.js'))) throw new Error(`dist/ is not built from these sources: run 'npm run build' first`);
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = until
    ? setInterval(() => {
        if (until.when(stderr)) {
          clearInterval(timer!);
          child.kill(until.signal);
        }
      }, 50)
    : null;
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
const tmp = () => mkdtempSync(join(tmpdir(), 'handover-cli-'));

describe('handover train --model gpt', () => {
  it('trains the tiny default GPT on the Brown corpus and prints the loss curve as JSON', async () => {
    const r = await handover(['train', '--model', 'gpt', '--steps', '4', '--eval-every', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.model).toBe('gpt');
    expect(j.dataset).toBe('brown');
    expect(j.steps).toBe(4);
    const curve = j.curve as { step: number; loss: number; validationLoss: number | null; tokensPerSec: number; microBatch: number }[];
    expect(curve.map((c) => c.step)).toEqual([1, 2, 3, 4]);
    expect(curve.every((c) => Number.isFinite(c.loss) && c.tokensPerSec > 0 && c.microBatch >= 1)).toBe(true);
    expect(curve[1]!.validationLoss).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/step 4: loss \d/);
  }, 300_000);

  it('SIGTERM checkpoints after the running effective batch and exits 0; --resume continues from there', async () => {
    const dir = tmp();
    const args = ['train', '--model', 'gpt', '--dataset', 'fixture', '--checkpoint', dir];
    const r = await handover([...args, '--steps', '100000'], { when: (e) => /train \[/.test(e), signal: 'SIGTERM' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped by SIGTERM after effective batch (\d+); checkpoint in/);
    const done = loadCheckpoint(dir).header.steps;
    expect(done).toBeGreaterThanOrEqual(1);
    const resumed = await handover([...args, '--steps', String(done + 2), '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const j = lastJson(resumed.stdout);
    expect(j.resumedFrom).toBe(done);
    expect(j.steps).toBe(done + 2);
  }, 300_000);

  it('a SIGKILLed run resumes from its last checkpoint, losing at most --checkpoint-every effective batches', async () => {
    const dir = tmp();
    const args = ['train', '--dataset', 'digits', '--checkpoint', dir, '--checkpoint-every', '3'];
    const r = await handover([...args, '--epochs', '1000'], { when: () => existsSync(checkpointPath(dir)), signal: 'SIGKILL' });
    expect(r.signal).toBe('SIGKILL');
    const saved = loadCheckpoint(dir).header.steps;
    expect(saved % 3).toBe(0);
    const resumed = await handover([...args, '--epochs', '1', '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resumed from the checkpoint after effective batch ${saved}`);
  }, 300_000);

  // The NaN-loss stop itself is tested in train-session.test.ts: from the command line a learning
  // rate that would diverge (1e30 did, before flags had ranges) is now refused before the device opens.
  it('a learning rate out of range and a bad GPT shape are refused before the device opens with exit 2', async () => {
    const nan = await handover(['train', '--epochs', '3', '--lr', '1e30']);
    expect(nan.code).toBe(2);
    expect(nan.stderr.trim()).toMatch(/^handover train: --lr must be .*10.*, got 1e\+?30/);
    expect(nan.stderr).not.toMatch(/SwiftShader|adapter/);
    const bad = await handover(['train', '--model', 'gpt', '--width', '30', '--heads', '4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('handover train: GPT width 30 is not a multiple of heads 4 (handover train --help)');
  }, 300_000);
});

describe('handover train --storm', () => {
  // How many requests land depends on the device's speed; what they leave behind does not: every
  // request is answered or counted unserved, every model the scheduler loaded is unloaded at the end.
  it('sends inference requests through the system beside training and reports the scheduler decisions', async () => {
    const r = await handover(['train', '--dataset', 'digits', '--epochs', '1', '--storm', '50', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.storm).toBe(50);
    const s = j.stormRequests as { requests: number; served: number; unserved: number };
    const d = j.decisions as Record<'load' | 'unload' | 'require' | 'release' | 'discard', number>;
    expect(s.served + s.unserved).toBe(s.requests);
    expect(d.unload).toBe(d.load);
    expect(d.discard).toBeLessThanOrEqual(d.require);
    expect(r.stderr).toMatch(new RegExp(`storm of ${s.requests} requests .* ${d.require} requires, ${d.discard} discards, ${d.release} releases, ${d.load} loads, ${d.unload} unloads`));
    expect(j.testAccuracy).toBeGreaterThan(0.5);
  }, 300_000);
});
