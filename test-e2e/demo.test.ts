// The demo in a real headless Chromium (Debian's, with SwiftShader's WebGPU
// when there is no GPU): the adapter appears, training loss falls, a burst
// causes handovers that the log shows with their breakdown while pages change
// owner, and "verify" agrees with onnxruntime-web.
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDir } from './static-server.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const built = existsSync('dist-demo/index.html');

describe.skipIf(!haveChromium || !built)('browser demo (headless Chromium, WebGPU)', () => {
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof serveDir>>;
  const consoleLines: string[] = [];

  beforeAll(async () => {
    server = await serveDir('dist-demo');
    const args = [
      '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic',
    ]; // playwright gives each launch a fresh, empty profile
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(server.url);
  });

  afterAll(async () => {
    if (consoleLines.length) console.log(consoleLines.slice(-30).join('\n'));
    await browser?.close();
    await server?.close();
  });

  it('shows the WebGPU adapter and its limits', async () => {
    await page.waitForSelector('#adapter[data-state="ready"]', { timeout: 120_000 });
    const text = await page.textContent('#adapter');
    expect(text).toMatch(/maxStorageBufferBindingSize \d+ MiB/);
  });

  it('trains: the loss falls', async () => {
    await page.waitForFunction(() => {
      const d = document.getElementById('train-stats')!.dataset;
      return Number(d.lastLoss) < Number(d.firstLoss) * 0.7;
    }, undefined, { timeout: 300_000, polling: 1000 });
    const d = await page.$eval('#train-stats', (e) => ({ ...(e as HTMLElement).dataset }));
    expect(Number(d.lastLoss)).toBeLessThan(Number(d.firstLoss));
  });

  it('a burst causes handovers, logged with their breakdown, and pages change owner', async () => {
    const before = (await page.$eval('#arena', (e) => (e as HTMLElement).dataset.kinds ?? '')) as string;
    await page.click('#burst');
    await page.waitForSelector('#handovers tr.handover', { timeout: 300_000 });
    const cells = await page.$$eval('#handovers tr.handover', (rows) => [...rows[0]!.querySelectorAll('td')].map((t) => t.textContent ?? ''));
    const head = await page.$$eval('#handovers th', (ths) => ths.map((t) => t.textContent ?? ''));
    expect(cells).toHaveLength(head.length);
    expect(Number.parseFloat(cells[head.indexOf('total (ms)')]!)).toBeGreaterThan(0);
    for (const h of head.slice(2)) expect(h).toMatch(/\((MiB|ms|samples)\)$/); // every measured column has its unit
    await page.waitForFunction((b) => {
      const k = document.getElementById('arena')!.dataset.kinds ?? '';
      const infer = [...k].filter((c) => c === 'i').length;
      return k !== b && infer > [...b].filter((c) => c === 'i').length;
    }, before, { timeout: 120_000, polling: 500 });
  });

  it('verify agrees with onnxruntime-web within 1e-4', async () => {
    await page.click('#verify');
    await page.waitForFunction(() => (document.getElementById('verify-out')!.dataset.diff ?? '') !== '', undefined, { timeout: 300_000, polling: 500 });
    const diff = await page.$eval('#verify-out', (e) => (e as HTMLElement).dataset.diff);
    const text = await page.textContent('#verify-out');
    console.log(`verify: ${text}`);
    expect(Number(diff)).toBeLessThan(1e-4);
  });

  it('keeps drawing while it trains and serves (screenshot saved)', async () => {
    await page.waitForTimeout(2500);
    const fps = Number(await page.$eval('#fps', (e) => (e as HTMLElement).dataset.fps ?? 'NaN'));
    console.log(`frame rate while training and serving: ${fps.toFixed(1)} frames/s`);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/demo.png', fullPage: true });
    expect(fps).toBeGreaterThan(1);
  });
});

if (!haveChromium || !built) {
  describe('browser demo', () => {
    it.skip(`skipped: ${!haveChromium ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : 'dist-demo/ not built (npm run demo:build)'}`, () => {});
  });
}
