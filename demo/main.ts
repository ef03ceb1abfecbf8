// The demo page: boots WebGPU, runs the colocated system, drives requests
// and redraws the views a few times per second.
import { WebGpuDevice } from '../src/devices/webgpu/device.js';
import { parseDigits, seeded } from '../src/train/data.js';
import { generateTrace, type Trace } from '../src/sched/traces.js';
import type { SystemName } from '../src/sched/systems.js';
import type { TensorData } from '../src/infer/store.js';
import { buildSystem, MODELS, MODEL_SIZES, type DemoSystem } from './system.js';
import { ArenaStrip, pageKinds } from './views.js';
import { drawLatencyHistogram, drawPanels } from './charts.js';
import { handoverRow, eventRow } from './handover-table.js';
import { verifyWithOrt } from './verify.js';
import { fetchGzipText, gunzipIfNeeded } from './fetch-text.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function fatal(text: string): void {
  $('app').hidden = true;
  $('adapter').dataset.state = 'failed';
  $('adapter').textContent = 'The demo could not start.';
  $('fatal').hidden = false;
  $('fatal-text').textContent = text;
}
$('reload').addEventListener('click', () => location.reload());

async function loadDigits() {
  return parseDigits(await fetchGzipText('digits.csv.gz'), 0);
}

interface State {
  dev: WebGpuDevice;
  sys: DemoSystem;
  data: Awaited<ReturnType<typeof loadDigits>>;
  latencies: number[];
  inflight: number;
  rand: () => number;
  trace: Trace | null;
  traceStart: number;
  traceNext: number;
  logged: number;
  eventsSeen: number;
}

function randomInput(rand: () => number): TensorData {
  return { type: 'float32', dims: [1, MODEL_SIZES[0]!], data: Float32Array.from({ length: MODEL_SIZES[0]! }, () => rand()) };
}

function send(st: State, model: string): void {
  st.inflight++;
  st.sys
    .request(model, { input: randomInput(st.rand) })
    .then(({ latencyMs }) => {
      st.latencies.push(latencyMs);
      if (st.latencies.length > 400) st.latencies.shift();
    })
    .catch((e) => console.error('request failed', e))
    .finally(() => st.inflight--);
}

function pickModel(st: State, index?: number): string {
  return MODELS[index ?? Math.floor(st.rand() * MODELS.length)]!;
}

/** Arrivals: Poisson at the slider's rate, or a trace replayed in real time. */
function startArrivals(st: State): void {
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    const dt = (now - last) / 1000;
    last = now;
    if (st.trace) {
      const t = (now - st.traceStart) / 1000;
      while (st.traceNext < st.trace.arrivals.length && st.trace.arrivals[st.traceNext]!.t <= t) {
        send(st, pickModel(st, st.trace.arrivals[st.traceNext]!.model % MODELS.length));
        st.traceNext++;
      }
      if (st.traceNext >= st.trace.arrivals.length) {
        st.traceStart = now;
        st.traceNext = 0;
      }
    } else {
      const rate = Number(($('rate') as HTMLInputElement).value);
      let n = 0;
      for (let p = rate * dt; p > 0; p--) if (st.rand() < Math.min(1, p)) n++;
      for (let i = 0; i < n; i++) send(st, pickModel(st));
    }
    setTimeout(tick, 50);
  };
  tick();
}

function logHandovers(st: State): void {
  const body = $('handovers').querySelector('tbody')!;
  const reports = st.sys.trainer.handovers;
  for (; st.logged < reports.length; st.logged++) body.prepend(handoverRow(reports[st.logged]!, performance.now() / 1000));
  const events = st.sys.core.log.since(st.eventsSeen);
  for (const e of events.events) {
    const tr = eventRow(e);
    if (tr) body.prepend(tr);
  }
  st.eventsSeen = events.next;
  while (body.children.length > 200) body.lastChild!.remove();
}

function startViews(st: State): void {
  const strip = new ArenaStrip($('arena') as HTMLCanvasElement);
  let frames = 0;
  let fpsT = performance.now();
  let drawT = 0;
  const frame = (now: number) => {
    frames++;
    if (now - fpsT >= 1000) {
      $('fps').textContent = `${((frames * 1000) / (now - fpsT)).toFixed(0)} frames/s while training and serving`;
      $('fps').dataset.fps = String((frames * 1000) / (now - fpsT));
      frames = 0;
      fpsT = now;
    }
    if (now - drawT >= 200) {
      drawT = now;
      const s = st.sys;
      const kinds = pageKinds(s);
      strip.draw(kinds);
      const a = s.arena.stats();
      $('arena-stats').textContent = `${a.pages} pages of ${a.pageBytes / 1024} KiB: train ${a.train}, infer ${a.infer}, free ${a.free} (reserve ${(s.core.freeBytes / 2 ** 20).toFixed(2)} MiB); training limit ${a.trainLimit} pages; zero-filled ${(a.zeroedBytes / 2 ** 20).toFixed(1)} MiB`;
      const tl = s.job.timeline.slice(-120);
      const rates = tl.map((p, i) => (i === 0 ? NaN : ((p.samples - tl[i - 1]!.samples) / (p.t - tl[i - 1]!.t)) * 1000));
      drawPanels($('train-chart') as HTMLCanvasElement, [
        { values: tl.map((p) => p.loss), color: '#c9503c', label: 'loss (nats)', digits: 2 },
        { values: rates, color: '#4a9d5b', label: 'samples/s', digits: 0 },
        { values: tl.map((p) => p.microBatch), color: '#3b6fd8', label: 'micro-batch (rows)', digits: 0 },
      ], 'training step (the last 120)');
      const losses = tl.map((p) => p.loss).filter(Number.isFinite);
      if (s.job.error) console.error('training stopped:', s.job.error);
      $('train-stats').textContent = `${s.job.error ? `training failed: ${String(s.job.error)}; ` : ''}steps ${s.trainer.stats.steps}, samples ${s.trainer.stats.samples}, micro-batch ${s.trainer.stats.microBatch}${s.trainer.stats.paused ? ' (paused: no memory)' : ''}, discards ${s.trainer.stats.discards}, ${s.job.samplesPerSec.toFixed(0)} samples/s`;
      const trainStats = $('train-stats');
      trainStats.dataset.firstLoss = String(losses[0] ?? NaN);
      trainStats.dataset.lastLoss = String(losses.slice(-5).reduce((x, y) => x + y, 0) / Math.max(1, Math.min(5, losses.length)));
      const slo = Number(($('slo') as HTMLInputElement).value);
      const l = drawLatencyHistogram($('latency') as HTMLCanvasElement, st.latencies, slo);
      $('compliance').textContent = Number.isFinite(l.compliance) ? `${(l.compliance * 100).toFixed(1)}% within SLO` : '';
      $('latency-stats').textContent = `${st.latencies.length} recent requests, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, ${st.inflight} in flight; models: ${MODELS.map((m) => `${m} ${s.core.state(m)}`).join(', ')}`;
      logHandovers(st);
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function switchSystem(st: State, kind: SystemName): Promise<void> {
  const old = st.sys;
  await old.destroy();
  st.sys = await buildSystem(st.dev, kind, st.data);
  st.logged = 0;
  st.eventsSeen = 0;
  st.latencies.length = 0;
}

async function boot(): Promise<void> {
  if (!('gpu' in navigator)) {
    fatal('This browser has no WebGPU (navigator.gpu is missing). Use Chrome or Edge 113+, or start Chromium with --enable-unsafe-webgpu; in Firefox enable dom.webgpu.enabled.');
    return;
  }
  let dev: WebGpuDevice;
  try {
    dev = await WebGpuDevice.open({ log: (l) => console.log(l) });
  } catch (e) {
    fatal(`No WebGPU adapter: ${e instanceof Error ? e.message : String(e)}. Enable hardware acceleration or WebGPU in your browser settings.`);
    return;
  }
  const i = dev.info;
  const adapter = $('adapter');
  adapter.textContent = `WebGPU adapter: ${i.name || i.vendor} (${i.vendor}/${i.architecture})${i.software ? ', software (SwiftShader)' : ''}; maxBufferSize ${(i.limits.maxBackingBytes / 2 ** 20).toFixed(0)} MiB, maxStorageBufferBindingSize ${(i.limits.maxBindingBytes / 2 ** 20).toFixed(0)} MiB`;
  adapter.dataset.state = 'ready';
  void dev.gpu.lost.then((info) => fatal(`The GPU device was lost (${info.reason || 'unknown reason'}: ${info.message}). Reload to start again.`));
  const data = await loadDigits();
  const st: State = {
    dev, data, sys: await buildSystem(dev, 'handover', data), latencies: [], inflight: 0, rand: seeded(7),
    trace: null, traceStart: 0, traceNext: 0, logged: 0, eventsSeen: 0,
  };
  $('app').hidden = false;
  ($('rate') as HTMLInputElement).addEventListener('input', (e) => ($('rate-out').textContent = (e.target as HTMLInputElement).value));
  $('burst').addEventListener('click', () => {
    for (let k = 0; k < 24; k++) setTimeout(() => send(st, pickModel(st)), k * 20);
  });
  ($('system') as HTMLSelectElement).addEventListener('change', (e) => void switchSystem(st, (e.target as HTMLSelectElement).value as SystemName));
  ($('trace') as HTMLSelectElement).addEventListener('change', async (e) => {
    const v = (e.target as HTMLSelectElement).value;
    st.trace = null;
    if (v === 'light' || v === 'burst') st.trace = generateTrace({ kind: v, seed: 5, durationS: 300, models: MODELS.length, timeScale: 1 });
    if (v === 'azure') {
      const res = await fetch('azure-llm-inference-2023-conv.csv.gz').catch(() => null);
      if (!res || !res.ok) {
        alert('The Azure trace is not shipped with this page (it comes from a public data set under its own licence); serve it next to the page as azure-llm-inference-2023-conv.csv.gz to replay it.');
        (e.target as HTMLSelectElement).value = 'manual';
        return;
      }
      const text = await gunzipIfNeeded(new Uint8Array(await res.arrayBuffer()));
      const times = text.trim().split('\n').slice(1).map((l) => Date.parse(l.split(',')[0]!.replace(' ', 'T') + 'Z') / 1000);
      const t0 = times[0]!;
      st.trace = { name: 'azure', durationS: 0, intervalS: 0, models: MODELS.length, timeScale: 12, rates: [], regimes: [], arrivals: times.map((t, k) => ({ t: (t - t0) / 12, model: k % MODELS.length })) };
    }
    st.traceStart = performance.now();
    st.traceNext = 0;
  });
  $('verify').addEventListener('click', async () => {
    const out = $('verify-out');
    out.textContent = 'verifying…';
    try {
      const model = MODELS[0]!;
      const input = randomInput(st.rand);
      const { outputs } = await st.sys.request(model, { input });
      const ours = outputs.output!.data as Float32Array;
      const v = await verifyWithOrt(st.sys.files.get(model)!, input.data as Float32Array, input.dims, ours, dev.gpu);
      out.dataset.diff = String(v.maxAbsDiff);
      out.textContent = `max |ours - onnxruntime-web (${v.provider})| = ${v.maxAbsDiff.toExponential(2)}`;
    } catch (e) {
      out.dataset.diff = 'error';
      out.textContent = `verify failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  });
  startArrivals(st);
  startViews(st);
}

boot().catch((e) => fatal(`The page failed to start: ${e instanceof Error ? e.message : String(e)}`));
