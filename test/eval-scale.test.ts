// The one report of the evaluation at scale (src/eval/scale/): a vision run
// and an LLM run, both with the GPT as the training job, played end to end on
// the real device (SwiftShader without a GPU) at tiny shapes, read back into
// one schema, normalised within each (workload, trace), and rendered as HTML
// and markdown with the paper's figures; the targets are judged from the rows.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { collectScaleReport, normalise, renderScaleMarkdown, targets, writeScaleReport, type ScaleReport, type ScaleRow } from '../src/eval/scale/index.js';
import { kvShapeOf } from '../src/eval/llm/kv-shape.js';
import { TINY_GPT_KV } from '../src/llm/cache.js';
import { evaluate } from '../src/eval/evaluation.js';
import { DEFAULT_TESTBED } from '../src/eval/testbed.js';
import type { RunReport } from '../src/eval/result.js';
import { generateTrace } from '../src/sched/traces.js';
import { loadDigits } from '../src/train/data-node.js';
import { testBackend, testDevice } from './helpers/gpu.js';
import { KV_MODEL } from './llm-helpers.js';

async function quiet(args: string[]): Promise<number> {
  const log = console.log;
  console.log = () => {};
  try {
    return await run(args);
  } finally {
    console.log = log;
  }
}

function burstCsv(dir: string, n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `2023-11-16 18:15:46.${String(Math.round((i / n) * 600)).padStart(3, '0')}0000,${200 + 37 * i},${60 + 11 * i}`);
  const path = join(dir, 'trace.csv');
  writeFileSync(path, ['TIMESTAMP,ContextTokens,GeneratedTokens', ...rows].join('\n'));
  return path;
}

const GPT = ['--train-gpt', '1x32x2x16', '--train-text', 'fixture', '--micro-batch', '8', '--effective-batch', '8', '--backend', testBackend];
const SYSTEMS = ['infer-only', 'handover', 'sp75'];

describe('the evaluation at scale: one schema and one report for vision and LLM', () => {
  it('plays both workloads beside the GPT, then reads, normalises and renders them together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'handover-scale-'));
    expect(await quiet([
      'run', '--trace', 'burst', '--systems', SYSTEMS.join(','), '--duration', '3', '--time-scale', '0.25', '--models', '3', '--arch', '64-64-10', '--handover-ms', '1',
      '--arena-pages', '320', '--page-kib', '16', '--t-idle-ms', '300', '--out', join(dir, 'vision-burst'), ...GPT,
    ])).toBe(0);
    expect(await quiet([
      'run', '--workload', 'llm', '--model', KV_MODEL, '--trace-file', burstCsv(dir, 6), '--systems', SYSTEMS.join(','), '--duration', '1',
      '--max-context', '32', '--max-batch', '4', '--arena-pages', '160', '--out', join(dir, 'llm-azure'), ...GPT,
    ])).toBe(0);

    // Each run also wrote its own report in the one schema, beside its report.json.
    for (const [run, workload] of [['vision-burst', 'vision'], ['llm-azure', 'llm']] as const) {
      const own = JSON.parse(readFileSync(join(dir, run, 'scale-results.json'), 'utf8')) as ScaleReport;
      expect(own.rows.map((x) => x.workload)).toEqual(SYSTEMS.map(() => workload));
      expect(readFileSync(join(dir, run, 'scale-report.html'), 'utf8')).toContain('<svg ');
    }
    const r = collectScaleReport(dir, { machine: 'test machine', cut: 'vision HEAVY\n' });
    expect(r.meta.cut).toEqual(['vision HEAVY']);
    expect(r.runs.map((x) => x.workload)).toEqual(['llm', 'vision']);
    for (const x of r.runs) expect(x.training).toMatch(/^GPT 1x32 \(2 heads, context 16/);
    expect(r.rows).toHaveLength(6);
    for (const w of ['vision', 'llm'] as const) {
      const rows = r.rows.filter((x) => x.workload === w);
      expect(rows.map((x) => x.system).sort()).toEqual([...SYSTEMS].sort());
      const io = rows.find((x) => x.system === 'infer-only')!;
      const ho = rows.find((x) => x.system === 'handover')!;
      const sp = rows.find((x) => x.system === 'sp75')!;
      expect(io.trainSamplesPerSec).toBe(0);
      expect(io.trainVsSp75).toBeNull();
      expect(io.wastedShare).toBeNull();
      // Each system started only once the GPT finished a step; how many more fit in the run depends on the device's speed.
      expect(ho.trainSamplesPerSec).toBeGreaterThanOrEqual(0);
      if (sp.trainSamplesPerSec > 0) {
        expect(sp.trainVsSp75).toBeCloseTo(1, 12);
        expect(ho.trainVsSp75).toBeCloseTo(ho.trainSamplesPerSec / sp.trainSamplesPerSec, 12);
      } else expect([sp.trainVsSp75, ho.trainVsSp75]).toEqual([null, null]);
      if (io.sloCompliance > 0) expect(ho.sloVsInferOnly).toBeCloseTo(ho.sloCompliance / io.sloCompliance, 12);
      for (const x of rows) {
        expect(x.failed).toBe(0);
        expect(x.p99Ms).toBeGreaterThanOrEqual(x.p50Ms);
        if (x.system !== 'infer-only') expect(x.wastedShare).toBeGreaterThanOrEqual(0);
        if (w === 'vision') {
          // Where requests waited: every stage measured, each P99 within the request's whole P99 (the stages are parts of it).
          for (const k of ['lag', 'admit', 'window', 'run'] as const) {
            expect(x.stages![k]!.p99Ms).toBeGreaterThanOrEqual(x.stages![k]!.p50Ms);
            expect(x.stages![k]!.p99Ms).toBeLessThanOrEqual(x.p99Ms + 1e-6); // each request's stage <= its latency (playTrace never fires early), so the quantiles too
          }
          expect(x.stages!.run!.p50Ms).toBeGreaterThan(0);
        } else expect(x.stages ?? null).toBeNull();
      }
      expect(w === 'llm' ? ho.tbtCompliance : ho.tbtCompliance === null).not.toBeNull();
    }
    // The memory timeline by owner: every point accounts for the whole arena.
    for (const tl of r.timelines) {
      const arena = r.runs.find((x) => x.workload === tl.workload)!.arenaBytes;
      expect(tl.points.length).toBeGreaterThan(2);
      for (const p of tl.points) expect(p.train + p.infer + p.free).toBe(arena);
      if (tl.workload === 'llm') for (const p of tl.points) expect(p.kv!).toBeLessThanOrEqual(p.infer);
    }

    const paths = writeScaleReport(join(dir, 'out'), r);
    const html = readFileSync(paths.html, 'utf8');
    // Per group: 4 figures (SLO / Infer-Only, P99, training / SP-75, wasted) and one memory timeline per system.
    expect(html.match(/<svg /g)).toHaveLength(2 * (4 + SYSTEMS.length));
    for (const id of ['vision-burst-slo', 'vision-burst-train', 'llm-azure-p99', 'llm-azure-waste', 'llm-azure-mem-0']) expect(html).toContain(`id="${id}"`);
    const md = readFileSync(paths.md, 'utf8');
    expect(md).toContain('### vision, BURST');
    expect(md).toContain('lag / admit (cold) / window / run p99 ms');
    expect(md).toContain('### LLM, Azure trace');
    expect(md).toContain('Cut for time: vision HEAVY');
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(r)));
  }, 600_000);

  it('judges the targets from the normalised rows, and says what was not measured', () => {
    const row = (system: string, slo: number, train: number, wasted: number | null): ScaleRow => ({
      workload: 'vision', trace: 'light', system, requests: 100, failed: 0, sloCompliance: slo, tbtCompliance: null, sloVsInferOnly: null, tbtVsInferOnly: null,
      p50Ms: 2, p99Ms: 9, tbtP99Ms: null, trainSamplesPerSec: train, trainVsSp75: null, wastedShare: wasted, microBatch: null,
      handover: { requires: 3, releases: 3, adjustMs: 1, allocateMs: 0.5, loadMs: 4, requireP99Ms: system === 'handover' ? 6.5 : null, largestRequireBytes: 2 ** 30 }, wallS: 60,
    });
    const rows = normalise([row('infer-only', 0.99, 0, null), row('handover', 0.97, 410, 0.02), row('sp75', 0.7, 200, 0)]);
    const checks = targets({ meta: { date: '', machine: '', cut: [] }, runs: [], rows, timelines: [] });
    const by = (s: string) => checks.find((c) => c.target.includes(s))!;
    expect(by('SLO >= 97%')).toMatchObject({ met: true, measured: '98.0%' }); // 0.97 / 0.99
    expect(by('training >= 2x')).toMatchObject({ met: true, measured: '2.05x' });
    expect(by('wasted')).toMatchObject({ met: false, measured: '2.0%' });
    expect(by('require-to-usable')).toMatchObject({ met: false });
    const noIo = targets({ meta: { date: '', machine: '', cut: [] }, runs: [], rows: normalise(rows.filter((x) => x.system !== 'infer-only')), timelines: [] });
    expect(noIo.find((c) => c.target.includes('SLO >= 97%'))!.met).toBeNull();
    expect(renderScaleMarkdown({ meta: { date: 'D', machine: 'M', cut: [] }, runs: [], rows, timelines: [] })).toContain('| handover | 97.0% | 98.0% |');
  });

  it("reads the KV model's attention geometry from the file, and refuses a model without a KV cache", () => {
    expect(kvShapeOf(KV_MODEL)).toEqual(TINY_GPT_KV);
    expect(() => kvShapeOf('test/fixtures/squeezenet1_1.onnx')).toThrow(/not a decoder with an explicit KV cache/);
  });

  it('hands out the report after every system, so a run stopped later keeps the systems that finished', async () => {
    const dev = await testDevice();
    const spec = { ...DEFAULT_TESTBED, models: 2, architectures: [[64, 32, 10]], train: { ...DEFAULT_TESTBED.train, layers: [64, 32, 10] }, arenaPages: 64, pageBytes: 16 << 10 };
    const seen: RunReport[] = [];
    const final = await evaluate(dev, {
      trace: generateTrace({ kind: 'burst', seed: 3, durationS: 1, models: 2, timeScale: 1 }), traceFile: null, seed: 3, systems: ['sp75', 'handover'],
      spec, data: loadDigits(3).train, backend: testBackend, command: 'test', tuned: { tIdleMs: 200 }, handoverMs: 1,
      onReport: (r) => seen.push(JSON.parse(JSON.stringify(r)) as RunReport),
    });
    expect(seen.map((r) => Object.keys(r.systems))).toEqual([['sp75'], ['sp75', 'handover']]);
    expect(seen[0]!.meta).toEqual(final.meta);
    expect(seen[1]!.systems.handover!.requests).toBe(final.systems.handover!.requests);
  }, 300_000);
});
